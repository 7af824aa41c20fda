import type { Decision, Proposal } from './decision';
import type { ActionType } from './action-types';
import type { Actor, ExecutionOutcome, ExecutionPerformer, LedgerEvent, LedgerEventType, LockdownScope, LockdownTrigger } from './ledger-event';

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

/** `ledger.req.execution`: an execution's events as the ledger holds them, after catching up with other instances. */
export interface ExecutionRequest {
  tenantId: string;
  executionId: string;
}
export interface ExecutionReply {
  /** Null when no execution with this id was ever started. */
  started: LedgerEvent | null;
  completed: LedgerEvent | null;
}

/** `executor.req.execute`: gateway → executor, for a caller the gateway authenticated. */
export interface ExecuteRequest {
  tenantId: string;
  executionToken: string;
  idempotencyKey: string;
  action: { type: ActionType; payload: Record<string, unknown> };
  requestedBy: Actor;
}

/** `executor.req.report`: the agent's outcome of an execution it performed itself. */
export interface ReportRequest {
  tenantId: string;
  executionId: string;
  outcome: 'SUCCEEDED' | 'FAILED';
  detail: Record<string, unknown>;
  reportedBy: Actor;
}

/**
 * An execution as every caller sees it, built from its ledger events alone: the first
 * request and every retry with the same idempotency key get the same body.
 */
export interface ExecutionView {
  executionId: string;
  proposalId: string;
  idempotencyKey: string;
  actionType: ActionType;
  /** AWAITING_REPORT: the agent performs the effect and must report it; IN_PROGRESS: a connector is still at work. */
  status: ExecutionOutcome | 'AWAITING_REPORT' | 'IN_PROGRESS';
  performer: ExecutionPerformer;
  connector: string | null;
  decisionHash: string;
  result: Record<string, unknown> | null;
  started: { height: number; hash: string; recordedAt: string };
  completed: { height: number; hash: string; recordedAt: string } | null;
}

/** `executor.req.execute` failures the gateway turns into problem details. */
export const EXECUTE_REFUSALS = [
  'TOKEN_INVALID',
  'TOKEN_EXPIRED',
  'TOKEN_WRONG_TENANT',
  'TOKEN_WRONG_ACTION',
  'TOKEN_ALREADY_USED',
  'NOT_EXECUTABLE',
  'IDEMPOTENCY_KEY_REUSED',
  'LOCKDOWN_ACTIVE',
] as const;
export type ExecuteRefusal = (typeof EXECUTE_REFUSALS)[number];

/** A lockdown in force, as the lockdown bucket holds it (key `global` or `tenant.<tenantId>`) and the lockdown requests answer it. */
export interface LockdownRecord {
  lockdownId: string;
  scope: LockdownScope;
  /** The tenant of a tenant lockdown; null for a global one. */
  tenantId: string | null;
  trigger: LockdownTrigger;
  reason: string;
  by: Actor;
  engagedAt: string;
  /** What led to it (the anomalies counted, the invariant's findings); recorded in each LockdownEngaged event too. */
  evidence: Record<string, unknown>;
}

/** `lockdown.req.engage`: gateway, CLI, integrity monitor → lockdown-controller. */
export interface EngageLockdownRequest {
  scope: LockdownScope;
  /** Required with `scope: 'tenant'`, absent with `'global'`. */
  tenantId?: string;
  trigger: LockdownTrigger;
  reason: string;
  by: Actor;
  evidence?: Record<string, unknown>;
  /** Name it to make a retried request a no-op; the controller names it otherwise. */
  lockdownId?: string;
}
export interface EngageLockdownReply {
  /** False when another lockdown was in force for that scope already: `lockdown` is that one, and nothing changed. */
  engaged: boolean;
  lockdown: LockdownRecord;
  /** The tenants whose ledgers record the LockdownEngaged event. */
  tenants: number;
}

/** `lockdown.req.release`: only by hand, with a reason. */
export interface ReleaseLockdownRequest {
  scope: LockdownScope;
  tenantId?: string;
  reason: string;
  by: Actor;
}
export interface ReleaseLockdownReply {
  /** False when no lockdown of that scope was in force: nothing changed. */
  released: boolean;
  /** The lockdown released, or null. */
  lockdown: LockdownRecord | null;
  tenants: number;
}

/** `lockdown.req.status`: the global lockdown and, with `tenantId`, that tenant's; without it, every tenant lockdown. */
export interface LockdownStatusRequest {
  tenantId?: string;
}
export interface LockdownStatusReply {
  global: LockdownRecord | null;
  tenants: LockdownRecord[];
}

/** How a request handler reports a failure its caller should act on. */
export interface RpcFailure {
  code: 'BAD_REQUEST' | 'UNAVAILABLE' | 'CONFLICT' | 'NOT_FOUND' | 'INTERNAL' | ExecuteRefusal;
  message: string;
}
