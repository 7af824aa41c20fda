/** The fields of a ledger event that its hash covers. */
export interface UnsealedLedgerEvent {
  tenantId: string;
  /** 1 for a tenant's first event, contiguous after that. */
  height: number;
  /** The previous event's hash; 64 zeros for the first event. */
  prevHash: string;
  eventId: string;
  type: LedgerEventType;
  recordedAt: string;
  data: unknown;
}

/** An event as it is stored on the tenant's ledger subject: its hash is SHA-256 over the RFC 8785 form of the rest. */
export interface LedgerEvent extends UnsealedLedgerEvent {
  hash: string;
}

import type { ActionType } from './action-types';
import type { Decision, Proposal } from './decision';
import type { IntegrityCheckRecordedData } from './integrity';

/** Every kind of event a tenant's ledger holds. Past tense: each records something that happened. */
export const LEDGER_EVENT_TYPES = [
  'DecisionRecorded',
  'ProposalApproved',
  'ProposalRejected',
  'ProposalVetoed',
  'VetoWindowElapsed',
  'PolicyPublished',
  'PolicyActivated',
  'ExecutionStarted',
  'ExecutionCompleted',
  'LockdownEngaged',
  'LockdownReleased',
  'AnomalyRecorded',
  'IntegrityCheckRecorded',
] as const;

export type LedgerEventType = (typeof LEDGER_EVENT_TYPES)[number];

export const isValidLedgerEventType = (value: unknown): value is LedgerEventType =>
  typeof value === 'string' && (LEDGER_EVENT_TYPES as readonly string[]).includes(value);

/** Who did something: the API key (its id, never its secret) or the kernel itself. */
export interface Actor {
  kind: 'key' | 'kernel';
  /** The key id, or the kernel service's name. */
  id: string;
}

/** The data of each event type, keyed by type. */
export interface LedgerEventData {
  /** The proposal as the gateway named it and the evaluator's decision on it. */
  DecisionRecorded: { proposal: Proposal; decision: Decision };
  /** An approver let a REQUIRE_HUMAN proposal proceed. */
  ProposalApproved: { proposalId: string; by: Actor; reason: string };
  /** An approver refused a REQUIRE_HUMAN proposal. */
  ProposalRejected: { proposalId: string; by: Actor; reason: string };
  /** An approver vetoed a HELD_FOR_VETO proposal before its deadline. */
  ProposalVetoed: { proposalId: string; by: Actor; reason: string };
  /** A HELD_FOR_VETO proposal's deadline passed unvetoed: from now on it may execute. */
  VetoWindowElapsed: { proposalId: string; vetoDeadline: string };
  /**
   * A manifest version was published (immutable from now on); the whole normalized manifest
   * is kept. `proposalId` names the policy:update proposal that asked for it, null for the
   * default manifest the kernel installs before a tenant's first decision.
   */
  PolicyPublished: { version: number; hash: string; manifest: unknown; by: Actor; proposalId: string | null };
  /** A published version became the one in force. */
  PolicyActivated: { version: number; hash: string; previousVersion: number | null; by: Actor; proposalId: string | null };
  /**
   * The gate let an execution begin: the token was valid and unused, the proposal executable
   * and not executed before, no lockdown in force. At most one per proposal and per
   * idempotency key; `decisionHash` is the hash of the event that made the proposal executable.
   */
  ExecutionStarted: ExecutionStartedData;
  /** How an execution ended: by the kernel's connector, by the agent's report, or resolved as in doubt after its executor died. */
  ExecutionCompleted: ExecutionCompletedData;
  /** Lockdown began for this tenant: on its own (`scope: 'tenant'`) or with every tenant (`scope: 'global'`). No execution may follow until it is released. */
  LockdownEngaged: { lockdownId: string; scope: LockdownScope; trigger: LockdownTrigger; reason: string; by: Actor; evidence: unknown };
  /** An admin released the lockdown, with a reason. */
  LockdownReleased: { lockdownId: string; scope: LockdownScope; reason: string; by: Actor };
  /** Something the kernel refused that looks like misuse or a fault, with its evidence; critical ones count towards lockdown. */
  AnomalyRecorded: { anomalyId: string; kind: AnomalyKind; severity: AnomalySeverity; evidence: Record<string, unknown>; detectedBy: Actor };
  /** A run of the integrity monitor, in the kernel's own chain (KERNEL_TENANT_ID): what it examined and what it found. */
  IntegrityCheckRecorded: IntegrityCheckRecordedData;
}

export const ANOMALY_SEVERITIES = ['warning', 'critical'] as const;
export type AnomalySeverity = (typeof ANOMALY_SEVERITIES)[number];

/** What the kernel records as an anomaly; docs/anomalies.md says which are critical and why. */
export const ANOMALY_KINDS = [
  'INVALID_EXECUTION_TOKEN',
  'REPLAYED_EXECUTION_TOKEN',
  'CROSS_TENANT_ACCESS',
  'EXECUTION_DURING_LOCKDOWN',
  'BUDGET_CRITICAL',
  'REPEATED_DENIALS',
  'INVARIANT_VIOLATION',
  'HASH_CHAIN_FAILURE',
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

/** Who performs an execution's effect: a kernel connector (`webhook:send`) or the agent itself, which reports the outcome. */
export type ExecutionPerformer = 'kernel' | 'agent';

export const EXECUTION_OUTCOMES = ['SUCCEEDED', 'FAILED', 'IN_DOUBT'] as const;
/**
 * SUCCEEDED and FAILED are what the connector or the agent saw. IN_DOUBT: the executor stopped
 * between starting the effect and recording its end, so whether the effect happened is
 * unknown; the kernel never performs it again.
 */
export type ExecutionOutcome = (typeof EXECUTION_OUTCOMES)[number];

export interface ExecutionStartedData {
  /** Derived from the tenant and the idempotency key: every retry names the same execution. */
  executionId: string;
  proposalId: string;
  idempotencyKey: string;
  actionType: ActionType;
  /** SHA-256 of the RFC 8785 form of `{type, payload}`, as the token bound it. */
  actionDigest: string;
  /** The hash of the ledger event that made the proposal executable (decision, approval or elapsed window). */
  decisionHash: string;
  /** The token's `jti` and `kid`: each token starts at most one execution. */
  tokenId: string;
  tokenKeyId: string;
  performer: ExecutionPerformer;
  /** The connector that performs it (`webhook:send`), null when the agent does. */
  connector: string | null;
  /** The executor instance that started it: if that instance dies, another resolves the execution. */
  executorId: string;
  requestedBy: Actor;
}

export interface ExecutionCompletedData {
  executionId: string;
  proposalId: string;
  decisionHash: string;
  outcome: ExecutionOutcome;
  /** What the connector or the agent recorded: for a webhook the final status, attempts and their errors. */
  result: Record<string, unknown>;
  by: Actor;
}

export const LOCKDOWN_SCOPES = ['global', 'tenant'] as const;
export type LockdownScope = (typeof LOCKDOWN_SCOPES)[number];

/** The five triggers of the transparency page, by name. */
export const LOCKDOWN_TRIGGERS = ['CRITICAL_ANOMALIES', 'HASH_CHAIN_FAILURE', 'INVARIANT_VIOLATION', 'BUDGET_CRITICAL', 'MANUAL'] as const;
export type LockdownTrigger = (typeof LOCKDOWN_TRIGGERS)[number];

/** The data of an event of type T. */
export type EventDataOf<T extends LedgerEventType> = LedgerEventData[T];
