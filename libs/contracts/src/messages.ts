import type { Decision, Proposal } from './decision';
import type { LedgerEventType } from './ledger-event';

/** `policy.req.evaluate`: gateway → policy-evaluator. */
export interface EvaluateRequest {
  proposal: Proposal;
  /** The ledger refused a decision on this proposal as stale: read the tenant's state afresh, not from a cache. */
  fresh?: boolean;
}
export interface EvaluateReply {
  decision: Decision;
}

/** `ledger.req.append`: any service → ledger, the only writer of ledger subjects. */
export interface AppendRequest {
  tenantId: string;
  /** Deterministic per logical event: it is the JetStream message id, so a retried append is not duplicated. */
  eventId: string;
  type: LedgerEventType;
  recordedAt: string;
  data: unknown;
}
export interface AppendReply {
  height: number;
  hash: string;
  prevHash: string;
  /** The stream sequence the event got. */
  sequence: number;
  /** True when the message id had already been appended and this call changed nothing. */
  duplicate: boolean;
}

/** `ledger.req.tenant-state`: policy-evaluator → ledger, the state a decision reads. */
export interface TenantStateRequest {
  tenantId: string;
  agentId?: string;
  sessionId?: string;
  /** The time the decision is taken at: budget windows end here. */
  at: string;
  /** The hash of the manifest the caller has compiled already; the reply then leaves the manifest out. */
  knownHash?: string;
}
export interface TenantStateReply {
  /** The manifest in force; null before the tenant's first decision (the default applies). */
  policy: { version: number; hash: string; manifest?: unknown } | null;
  /** Usage counted so far by each budget of that manifest, for this proposal's scope key. */
  budgets: Record<string, { used: number }>;
}

/** `ledger.req.policies`: the tenant's policy versions as the ledger recorded them. */
export interface PoliciesRequest {
  tenantId: string;
  /** One version with its whole manifest; absent: the list. */
  version?: number;
}
export interface PolicyVersionSummary {
  version: number;
  hash: string;
  description: string | null;
  publishedAt: string;
  active: boolean;
}
export interface PoliciesReply {
  activeVersion: number | null;
  /** The version a rollback returns to: the one the version in force replaced. */
  previousVersion: number | null;
  versions: PolicyVersionSummary[];
  /** With `version` in the request: that version's manifest, or null when it was never published. */
  manifest?: unknown;
}

/** How a request handler reports a failure its caller should act on. */
export interface RpcFailure {
  code: 'BAD_REQUEST' | 'UNAVAILABLE' | 'CONFLICT' | 'INTERNAL';
  message: string;
}
