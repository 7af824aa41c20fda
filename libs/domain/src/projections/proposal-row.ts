import { DECISION_STATUSES, type Actor, type Decision, type DecisionStatus, type LedgerEvent, type LedgerEventType, type Proposal } from '@halm/contracts';
import { evolveProposal, proposalIdOf, type ProposalLifecycle } from '../proposals/proposal-lifecycle';

// A record keyed by every lifecycle: adding one to the union without listing it here fails to compile.
const LIFECYCLES: Record<ProposalLifecycle, true> = {
  ALLOWED: true,
  DENIED: true,
  PENDING_APPROVAL: true,
  APPROVED: true,
  REJECTED: true,
  HELD_FOR_VETO: true,
  VETOED: true,
  VETO_WINDOW_ELAPSED: true,
};

/** Every lifecycle a proposal can be in. */
export const PROPOSAL_LIFECYCLES = Object.keys(LIFECYCLES) as readonly ProposalLifecycle[];

/** One ledger event about a proposal, as its history shows it. */
export interface ProposalHistoryEntry {
  type: LedgerEventType;
  height: number;
  /** The event's hash: an execution token names the one that made the proposal executable. */
  hash?: string;
  recordedAt: string;
  by?: Actor;
  reason?: string;
}

/** A proposal as the `proposals` read model holds it: the fold of the tenant's ledger events about it. */
export interface ProposalRow {
  proposalId: string;
  tenantId: string;
  type: string;
  agentId: string | null;
  sessionId: string | null;
  /** The decision's status; the lifecycle says where the proposal stands now. */
  status: DecisionStatus;
  lifecycle: ProposalLifecycle;
  proposal: Proposal;
  decision: Decision;
  vetoDeadline: string | null;
  decidedAt: string;
  /** `recordedAt` of the last event folded in. */
  updatedAt: string;
  /** Tenant height of the last event folded in. */
  lastHeight: number;
  history: ProposalHistoryEntry[];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const isActor = (value: unknown): value is Actor =>
  isObject(value) && (value['kind'] === 'key' || value['kind'] === 'kernel') && typeof value['id'] === 'string';

const historyEntryOf = (event: LedgerEvent): ProposalHistoryEntry => {
  const data = isObject(event.data) ? event.data : {};
  return {
    type: event.type,
    height: event.height,
    hash: event.hash,
    recordedAt: event.recordedAt,
    ...(isActor(data['by']) ? { by: { kind: data['by'].kind, id: data['by'].id } } : {}),
    ...(typeof data['reason'] === 'string' ? { reason: data['reason'] } : {}),
  };
};

const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The proposal an event is about, or undefined; unlike `proposalIdOf` it accepts any data, as a projection must. */
export const projectedProposalIdOf = (event: Pick<LedgerEvent, 'type' | 'data'>): string | undefined =>
  isObject(event.data) ? proposalIdOf(event) : undefined;

const firstRow = (proposalId: string, event: LedgerEvent): ProposalRow | undefined => {
  const data = isObject(event.data) ? event.data : {};
  const proposal = data['proposal'];
  const decision = data['decision'];
  // A decision the read model cannot show is left out rather than stopping the tenant's projection.
  if (!isObject(proposal) || !isObject(decision) || !(DECISION_STATUSES as readonly unknown[]).includes(decision['status'])) return undefined;
  const state = evolveProposal(undefined, event);
  if (!state) return undefined;
  const context = isObject(proposal['context']) ? proposal['context'] : {};
  return {
    proposalId,
    tenantId: event.tenantId,
    type: typeof proposal['type'] === 'string' ? proposal['type'] : 'unknown',
    agentId: stringOrNull(context['agentId']),
    sessionId: stringOrNull(context['sessionId']),
    status: decision['status'] as DecisionStatus,
    lifecycle: state.lifecycle,
    proposal: proposal as unknown as Proposal,
    decision: decision as unknown as Decision,
    vetoDeadline: typeof state.vetoDeadline === 'string' ? state.vetoDeadline : null,
    decidedAt: typeof decision['decidedAt'] === 'string' ? decision['decidedAt'] : event.recordedAt,
    updatedAt: event.recordedAt,
    lastHeight: event.height,
    history: [historyEntryOf(event)],
  };
};

/**
 * The read-model row of a proposal after `event`, folded with the proposal state machine
 * (`evolveProposal`). Events about no proposal, about another proposal or tenant, or already
 * folded in (a height not above the row's last) leave the row as it is, so applying an event
 * twice is applying it once. An event about a proposal without a decision has nothing to
 * project. A second decision for a proposal is ignored: the ledger refuses to record one.
 */
export const projectProposalRow = (row: ProposalRow | undefined, event: LedgerEvent): ProposalRow | undefined => {
  const proposalId = projectedProposalIdOf(event);
  if (proposalId === undefined) return row;
  if (row && (row.proposalId !== proposalId || row.tenantId !== event.tenantId || event.height <= row.lastHeight)) return row;
  if (event.type === 'DecisionRecorded') return row ?? firstRow(proposalId, event);
  if (!row) return undefined;
  const next = evolveProposal({ proposalId, lifecycle: row.lifecycle, vetoDeadline: row.vetoDeadline }, event);
  return {
    ...row,
    lifecycle: next?.lifecycle ?? row.lifecycle,
    updatedAt: event.recordedAt,
    lastHeight: event.height,
    history: [...row.history, historyEntryOf(event)],
  };
};
