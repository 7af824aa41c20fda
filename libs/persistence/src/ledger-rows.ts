import {
  BUDGET_LEVELS,
  DECISION_STATUSES,
  EXECUTION_OUTCOMES,
  type Actor,
  type BudgetLevel,
  type DecisionStatus,
  type ExecutionOutcome,
  type ExecutionPerformer,
  type LedgerEvent,
} from '@halm/contracts';
import { eventLeafHash } from '@halm/domain';

/*
 * The rows each ledger event contributes to the read models beside `proposals`: what the
 * projection writes, derived from the event alone, so applying the same events always writes
 * the same rows (what makes a rebuild equal to the live tables). Events these functions cannot
 * read contribute no row instead of stopping their tenant's projection; the raw event is kept
 * in `ledger_events` whatever it holds.
 */

/** A row of `ledger_events`: the event as stored, and its RFC 9162 leaf hash (leaf `height - 1` of its tenant's tree). */
export interface LedgerEventRow {
  tenantId: string;
  height: number;
  eventId: string;
  type: string;
  hash: string;
  prevHash: string;
  recordedAt: string;
  leafHash: string;
  event: LedgerEvent;
}

/** A row of `decisions`: one per `DecisionRecorded`. */
export interface DecisionRow {
  tenantId: string;
  height: number;
  hash: string;
  proposalId: string;
  actionType: string;
  agentId: string | null;
  status: DecisionStatus;
  allowed: boolean;
  policyVersion: number | null;
  policyHash: string | null;
  reasons: string[];
  matchedRules: string[];
  budgetLevel: BudgetLevel | null;
  vetoDeadline: string | null;
  decidedAt: string;
  recordedAt: string;
}

export const VERDICTS = ['APPROVED', 'REJECTED', 'VETOED', 'VETO_WINDOW_ELAPSED'] as const;
/** How a proposal waiting for a human or a veto window was settled. */
export type Verdict = (typeof VERDICTS)[number];

/** A row of `approvals`: one per `ProposalApproved`, `ProposalRejected`, `ProposalVetoed` or `VetoWindowElapsed`. */
export interface ApprovalRow {
  tenantId: string;
  height: number;
  hash: string;
  proposalId: string;
  verdict: Verdict;
  /** The approver; null for an elapsed veto window, which nobody decided. */
  actor: Actor | null;
  reason: string | null;
  recordedAt: string;
}

/** `STARTED` until its `ExecutionCompleted`, then the outcome. */
export type ExecutionStatus = 'STARTED' | ExecutionOutcome;

/** Where an event about an execution sits in its tenant's ledger. */
export interface EventPosition {
  height: number;
  hash: string;
  recordedAt: string;
}

/** A row of `executions`: created by `ExecutionStarted`, completed by its `ExecutionCompleted`. */
export interface ExecutionRow {
  tenantId: string;
  executionId: string;
  proposalId: string;
  idempotencyKey: string;
  actionType: string;
  actionDigest: string | null;
  performer: ExecutionPerformer;
  connector: string | null;
  /** The hash of the ledger event that made the proposal executable. */
  decisionHash: string;
  executorId: string | null;
  tokenId: string | null;
  requestedBy: Actor | null;
  status: ExecutionStatus;
  result: Record<string, unknown> | null;
  completedBy: Actor | null;
  started: EventPosition;
  completed: EventPosition | null;
}

/** What an `ExecutionCompleted` changes of its execution's row. */
export interface ExecutionCompletion {
  tenantId: string;
  executionId: string;
  outcome: ExecutionOutcome;
  result: Record<string, unknown>;
  completedBy: Actor | null;
  completed: EventPosition;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
const actorOf = (value: unknown): Actor | null =>
  isObject(value) && (value['kind'] === 'key' || value['kind'] === 'kernel') && typeof value['id'] === 'string' ? { kind: value['kind'], id: value['id'] } : null;
const oneOf = <T extends string>(values: readonly T[], value: unknown): T | null => ((values as readonly unknown[]).includes(value) ? (value as T) : null);

/** An ISO 8601 time as `Date.toISOString` writes it, or null when it is none: PostgreSQL reads every such string the same way. */
export const normalizedTime = (value: unknown): string | null => {
  if (typeof value !== 'string') return null;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : new Date(parsed).toISOString();
};

const positionOf = (event: LedgerEvent): EventPosition => ({ height: event.height, hash: event.hash, recordedAt: normalizedTime(event.recordedAt) ?? event.recordedAt });

export const ledgerEventRowOf = (event: LedgerEvent): LedgerEventRow => {
  const { tenantId, height, prevHash, eventId, type, recordedAt, data, hash } = event;
  return {
    tenantId,
    height,
    eventId,
    type,
    hash,
    prevHash,
    recordedAt: normalizedTime(recordedAt) ?? recordedAt,
    leafHash: eventLeafHash(event).toString('hex'),
    // Only the fields of a ledger event: exactly what the leaf hash covers.
    event: { tenantId, height, prevHash, eventId, type, recordedAt, data, hash },
  };
};

export const decisionRowOf = (event: LedgerEvent): DecisionRow | undefined => {
  if (event.type !== 'DecisionRecorded' || !isObject(event.data)) return undefined;
  const { proposal, decision } = event.data;
  if (!isObject(proposal) || !isObject(decision)) return undefined;
  const proposalId = text(proposal['proposalId']);
  const status = oneOf(DECISION_STATUSES, decision['status']);
  if (!proposalId || !status) return undefined;
  const policy = isObject(decision['policy']) ? decision['policy'] : {};
  const context = isObject(proposal['context']) ? proposal['context'] : {};
  const recordedAt = normalizedTime(event.recordedAt) ?? event.recordedAt;
  return {
    tenantId: event.tenantId,
    height: event.height,
    hash: event.hash,
    proposalId,
    actionType: text(proposal['type']) ?? 'unknown',
    agentId: text(context['agentId']),
    status,
    allowed: decision['allowed'] === true,
    policyVersion: Number.isSafeInteger(policy['version']) ? (policy['version'] as number) : null,
    policyHash: text(policy['hash']),
    reasons: strings(decision['reasons']),
    matchedRules: strings(decision['matchedRules']),
    budgetLevel: oneOf(BUDGET_LEVELS, decision['budgetLevel']),
    vetoDeadline: normalizedTime(decision['vetoDeadline']),
    decidedAt: normalizedTime(decision['decidedAt']) ?? recordedAt,
    recordedAt,
  };
};

const VERDICT_OF_EVENT: Partial<Record<LedgerEvent['type'], Verdict>> = {
  ProposalApproved: 'APPROVED',
  ProposalRejected: 'REJECTED',
  ProposalVetoed: 'VETOED',
  VetoWindowElapsed: 'VETO_WINDOW_ELAPSED',
};

export const approvalRowOf = (event: LedgerEvent): ApprovalRow | undefined => {
  const verdict = VERDICT_OF_EVENT[event.type];
  if (!verdict || !isObject(event.data)) return undefined;
  const proposalId = text(event.data['proposalId']);
  if (!proposalId) return undefined;
  return {
    tenantId: event.tenantId,
    height: event.height,
    hash: event.hash,
    proposalId,
    verdict,
    actor: actorOf(event.data['by']),
    reason: typeof event.data['reason'] === 'string' ? event.data['reason'] : null,
    recordedAt: normalizedTime(event.recordedAt) ?? event.recordedAt,
  };
};

export const executionStartOf = (event: LedgerEvent): ExecutionRow | undefined => {
  if (event.type !== 'ExecutionStarted' || !isObject(event.data)) return undefined;
  const data = event.data;
  const executionId = text(data['executionId']);
  const proposalId = text(data['proposalId']);
  const idempotencyKey = text(data['idempotencyKey']);
  const decisionHash = text(data['decisionHash']);
  const performer = oneOf(['kernel', 'agent'] as const, data['performer']);
  if (!executionId || !proposalId || !idempotencyKey || !decisionHash || !performer) return undefined;
  return {
    tenantId: event.tenantId,
    executionId,
    proposalId,
    idempotencyKey,
    actionType: text(data['actionType']) ?? 'unknown',
    actionDigest: text(data['actionDigest']),
    performer,
    connector: text(data['connector']),
    decisionHash,
    executorId: text(data['executorId']),
    tokenId: text(data['tokenId']),
    requestedBy: actorOf(data['requestedBy']),
    status: 'STARTED',
    result: null,
    completedBy: null,
    started: positionOf(event),
    completed: null,
  };
};

export const executionCompletionOf = (event: LedgerEvent): ExecutionCompletion | undefined => {
  if (event.type !== 'ExecutionCompleted' || !isObject(event.data)) return undefined;
  const executionId = text(event.data['executionId']);
  const outcome = oneOf(EXECUTION_OUTCOMES, event.data['outcome']);
  if (!executionId || !outcome) return undefined;
  return {
    tenantId: event.tenantId,
    executionId,
    outcome,
    result: isObject(event.data['result']) ? event.data['result'] : {},
    completedBy: actorOf(event.data['by']),
    completed: positionOf(event),
  };
};

// NUL cannot be stored in PostgreSQL text or jsonb: a JSON string escape \u0000 (not itself
// escaped, so preceded by an even number of backslashes) becomes U+FFFD in the read models.
const NUL_ESCAPE = /(?<!\\)((?:\\\\)*)\\u0000/g;

/** JSON text PostgreSQL's jsonb accepts for any JSON value: NUL characters in strings and keys become U+FFFD. */
export const jsonForPostgres = (value: unknown): string => {
  const serialized = JSON.stringify(value);
  return serialized.includes('\\u0000') ? serialized.replace(NUL_ESCAPE, '$1\\ufffd') : serialized;
};
