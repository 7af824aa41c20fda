// The gateway's request and response shapes, declared here again rather than imported, so
// that the SDK has no runtime dependency and can be published on its own. A type test
// (wire-types.spec.ts) keeps them in step with @halm/contracts.

/** The nine kinds of side effect an agent asks Halm about. */
export const ACTION_TYPES = [
  'ledger:write',
  'vault:write',
  'policy:update',
  'dialogue:commit',
  'voice:respond',
  'webhook:send',
  'task:create',
  'session:write',
  'recalibrate:propose',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/**
 * The types the kernel performs itself, through a connector: `execute()` does the effect and
 * the agent has nothing to run or report.
 */
export const KERNEL_PERFORMED_TYPES = ['webhook:send'] as const;
export type KernelPerformedType = (typeof KERNEL_PERFORMED_TYPES)[number];

/** The types the agent performs: `execute()` claims the execution, the agent runs the effect and reports how it ended. */
export type AgentPerformedType = Exclude<ActionType, KernelPerformedType | 'policy:update'>;

/** Each type's payload, as the gateway validates it; fields not listed are accepted and recorded as sent. */
export interface ActionPayloads {
  'ledger:write': { amount: number; recipient: string; currency?: string; memo?: string };
  'vault:write': { path: string; operation: 'create' | 'update' | 'rotate' | 'delete' };
  'policy:update': { operation: 'publish' | 'activate'; manifest?: Record<string, unknown>; version?: number; hash?: string };
  'dialogue:commit': { commitment: string; counterparty?: string };
  'voice:respond': { text: string; locale?: string };
  'webhook:send': { url: string; headers?: Record<string, string>; event?: string; body?: unknown };
  'task:create': { title: string; assignee?: string; dueAt?: string };
  'session:write': { key: string; value: unknown };
  'recalibrate:propose': { model: string; parameters: Record<string, unknown>; rationale?: string };
}

export type PayloadOf<T extends ActionType> = ActionPayloads[T] & Record<string, unknown>;

export interface ProposalContext {
  /** The agent's confidence, 0 to 1: the policy compares it with its thresholds. */
  confidenceScore?: number;
  sessionId?: string;
  agentId?: string;
}

/** The body of `POST /api/kernel/authorize`. */
export interface AuthorizeRequest<T extends ActionType = ActionType> {
  type: T;
  payload: PayloadOf<T>;
  justification?: string;
  context?: ProposalContext;
}

export const DECISION_STATUSES = ['ALLOW', 'DENY', 'REQUIRE_HUMAN', 'HELD_FOR_VETO'] as const;
export type DecisionStatus = (typeof DECISION_STATUSES)[number];

interface DecisionFields {
  proposalId: string;
  reasons: string[];
  constraints: Record<string, unknown>;
  /** When a HELD_FOR_VETO proposal becomes executable unless vetoed; null otherwise. */
  vetoDeadline: string | null;
  humanApprovalRequired: boolean;
  decidedAt: string;
}

/** The answer of `POST /api/kernel/authorize`: the quickstart's shape, and a token only when allowed. */
export type AuthorizeResponse =
  | (DecisionFields & { status: 'ALLOW'; allowed: true; executionToken: string })
  | (DecisionFields & { status: 'DENY' | 'REQUIRE_HUMAN' | 'HELD_FOR_VETO'; allowed: false; executionToken?: undefined });

/** Where a proposal stands: its decision's outcome, then what approvers or the veto window did. */
export const PROPOSAL_LIFECYCLES = ['ALLOWED', 'DENIED', 'PENDING_APPROVAL', 'APPROVED', 'REJECTED', 'HELD_FOR_VETO', 'VETOED', 'VETO_WINDOW_ELAPSED'] as const;
export type ProposalLifecycle = (typeof PROPOSAL_LIFECYCLES)[number];

/** Lifecycles that still wait for an approver or for the veto window to end. */
export const OPEN_LIFECYCLES: readonly ProposalLifecycle[] = ['PENDING_APPROVAL', 'HELD_FOR_VETO'];

export interface Actor {
  kind: string;
  id: string;
}

export interface ProposalHistoryEntry {
  type: string;
  height: number;
  hash?: string;
  recordedAt: string;
  by?: Actor;
  reason?: string;
}

/** `GET /api/kernel/proposals/:proposalId`. */
export interface ProposalView {
  proposalId: string;
  type: ActionType;
  status: DecisionStatus;
  lifecycle: ProposalLifecycle;
  /** True only while the action may execute: allowed outright, approved, or its veto window elapsed. */
  allowed: boolean;
  reasons: string[];
  constraints: Record<string, unknown>;
  vetoDeadline: string | null;
  humanApprovalRequired: boolean;
  decidedAt: string;
  updatedAt: string;
  payload: Record<string, unknown>;
  context: ProposalContext;
  history: ProposalHistoryEntry[];
  /** For agent keys, while the proposal may execute and has not yet: a fresh single-use token. */
  executionToken?: string;
}

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'IN_DOUBT' | 'AWAITING_REPORT' | 'IN_PROGRESS';

/** An execution as the ledger holds it: every retry with the same idempotency key gets the same body. */
export interface ExecutionView {
  executionId: string;
  proposalId: string;
  idempotencyKey: string;
  actionType: ActionType;
  /** AWAITING_REPORT: the agent performs the effect and must report it; IN_PROGRESS: a connector is still at work. */
  status: ExecutionStatus;
  performer: 'kernel' | 'agent';
  connector: string | null;
  decisionHash: string;
  result: Record<string, unknown> | null;
  started: { height: number; hash: string; recordedAt: string };
  completed: { height: number; hash: string; recordedAt: string } | null;
}

/** The body of `POST /api/kernel/execute`. */
export interface ExecuteRequest<T extends ActionType = ActionType> {
  executionToken: string;
  /** One key, one effect. Generated when left out; give your own to make retries across processes safe. */
  idempotencyKey?: string;
  action: { type: T; payload: PayloadOf<T> };
}

export type ReportOutcome = 'SUCCEEDED' | 'FAILED';

export interface InvalidParam {
  name: string;
  reason: string;
}

/** An RFC 9457 problem document, as every error of the gateway is answered. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** Each bad field of a 400, by its path in the request. */
  invalidParams?: InvalidParam[];
  /** The refusal's code (`TOKEN_EXPIRED`, `LOCKDOWN_ACTIVE`, …) where the gateway names one. */
  code?: string;
  [extension: string]: unknown;
}
