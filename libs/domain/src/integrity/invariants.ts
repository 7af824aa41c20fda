import type { InvariantName } from '@halm/contracts';

export interface InvariantDefinition {
  name: InvariantName;
  /** The transparency page's words. */
  description: string;
  /** What the integrity monitor checks, event by event (docs/integrity.md says the same at length). */
  checks: string;
}

export const INVARIANTS: readonly InvariantDefinition[] = [
  {
    name: 'NO_SIDE_EFFECT_WITHOUT_ALLOW',
    description: 'No side effect without ALLOW decision. Every execution must have a corresponding ALLOW decision.',
    checks:
      'Every ExecutionStarted names a proposal of the chain that was executable at that point (an ALLOW decision, an approval of a REQUIRE_HUMAN proposal, or an elapsed veto window) and had not started an execution before; every ExecutionCompleted ends an execution that started and had not ended.',
  },
  {
    name: 'EXECUTION_TOKEN_REQUIRED',
    description: 'No execution without valid executionToken. Every execution must have proper authorization chain.',
    checks:
      'Every ExecutionStarted carries the id and the key id of the execution token it was started with; the key is one of the gateways\' token keys (when the monitor is given them); no token id starts two executions.',
  },
  {
    name: 'DECISION_HASH_VALID',
    description: 'Every execution must reference valid decisionHash. The hash chain must be intact.',
    checks:
      'Every event\'s hash is the SHA-256 of its RFC 8785 form; every ExecutionStarted\'s decisionHash is the hash of the event that made its proposal executable, and every ExecutionCompleted repeats its start\'s.',
  },
  {
    name: 'HASH_CHAIN_CONTINUOUS',
    description: 'Hash chain must be continuous. No gaps or breaks in the audit trail.',
    checks:
      'Heights run 1, 2, 3… without a gap, each prevHash is the hash of the event before (64 zeros for the first), every message on the tenant\'s subject is an event, and every signed checkpoint verifies and its root is the RFC 9162 Merkle root of the chain\'s first treeSize events: a chain shorter than a checkpoint, or a history that no longer hashes to what an earlier check saw, is a break.',
  },
  {
    name: 'LOCKDOWN_OVERRIDES_ALL',
    description: 'Lockdown state overrides all ALLOW. No executions during lockdown.',
    checks:
      'Between a LockdownEngaged (of the tenant, or global) and its LockdownReleased, the chain holds no ExecutionStarted and no decision with status ALLOW.',
  },
  {
    name: 'TENANT_ISOLATION_ENFORCED',
    description: 'Tenant isolation enforced on every request. No cross-tenant data access.',
    checks:
      'Every event on a tenant\'s subject (and every checkpoint of its tree) names that tenant, every decision is about a proposal of that tenant, and no approval, veto or execution names another tenant\'s proposal.',
  },
];
