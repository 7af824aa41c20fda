import type { DecisionStatus, LedgerEvent } from '@halm/contracts';

/**
 * Where a proposal stands after the events recorded about it. The decision's status is
 * the start; approvals, vetoes and an elapsed veto window move it on.
 */
export type ProposalLifecycle =
  | 'ALLOWED'
  | 'DENIED'
  | 'PENDING_APPROVAL'
  | 'APPROVED'
  | 'REJECTED'
  | 'HELD_FOR_VETO'
  | 'VETOED'
  | 'VETO_WINDOW_ELAPSED';

export const OPEN_LIFECYCLES: readonly ProposalLifecycle[] = ['PENDING_APPROVAL', 'HELD_FOR_VETO'];

/** Lifecycles in which the action may be executed. */
export const EXECUTABLE_LIFECYCLES: readonly ProposalLifecycle[] = ['ALLOWED', 'APPROVED', 'VETO_WINDOW_ELAPSED'];

export const lifecycleOfDecision = (status: DecisionStatus): ProposalLifecycle => {
  switch (status) {
    case 'ALLOW':
      return 'ALLOWED';
    case 'DENY':
      return 'DENIED';
    case 'REQUIRE_HUMAN':
      return 'PENDING_APPROVAL';
    case 'HELD_FOR_VETO':
      return 'HELD_FOR_VETO';
  }
};

/** What the kernel must know of a proposal to accept or refuse the next event about it. */
export interface ProposalState {
  proposalId: string;
  lifecycle: ProposalLifecycle;
  vetoDeadline: string | null;
}

/** The proposal an event is about, or undefined for events that concern no proposal. */
export const proposalIdOf = (event: Pick<LedgerEvent, 'type' | 'data'>): string | undefined => {
  const data = event.data as { proposalId?: unknown; proposal?: { proposalId?: unknown } };
  if (event.type === 'DecisionRecorded') return typeof data.proposal?.proposalId === 'string' ? data.proposal.proposalId : undefined;
  if (event.type === 'PolicyPublished' || event.type === 'PolicyActivated') return undefined;
  return typeof data.proposalId === 'string' ? data.proposalId : undefined;
};

/**
 * Why the kernel refuses an execution, when it does: the executor answers the agent with it.
 * Other refusals carry no code: the caller decides again or gives up.
 */
export type ExecutionRefusalCode = 'NOT_EXECUTABLE' | 'TOKEN_ALREADY_USED' | 'LOCKDOWN_ACTIVE';

export type TransitionCheck = { ok: true } | { ok: false; reason: string; code?: ExecutionRefusalCode };

const refuse = (reason: string): TransitionCheck => ({ ok: false, reason });

/**
 * Whether `event`, recorded at `recordedAt`, may follow `state`: the state machine of
 * approvals and vetoes. Exactly one of a veto and an elapsed window can ever be recorded:
 * a veto only before the deadline, the window's end only at or after it, and neither after
 * the other.
 */
export const checkTransition = (state: ProposalState | undefined, event: Pick<LedgerEvent, 'type' | 'data' | 'recordedAt'>): TransitionCheck => {
  if (event.type === 'DecisionRecorded') return state ? refuse('the proposal already has a decision') : { ok: true };
  if (event.type === 'PolicyPublished' || event.type === 'PolicyActivated') return { ok: true };
  if (!state) return refuse('the proposal is not open: unknown, or already settled');
  const at = Date.parse(event.recordedAt);
  const deadline = state.vetoDeadline === null ? Number.NaN : Date.parse(state.vetoDeadline);
  switch (event.type) {
    case 'ProposalApproved':
    case 'ProposalRejected':
      return state.lifecycle === 'PENDING_APPROVAL' ? { ok: true } : refuse(`the proposal is ${state.lifecycle}, not waiting for approval`);
    case 'ProposalVetoed':
      if (state.lifecycle !== 'HELD_FOR_VETO') return refuse(`the proposal is ${state.lifecycle}, not held for veto`);
      return at < deadline ? { ok: true } : refuse(`the veto window closed at ${state.vetoDeadline}`);
    case 'VetoWindowElapsed':
      if (state.lifecycle !== 'HELD_FOR_VETO') return refuse(`the proposal is ${state.lifecycle}, not held for veto`);
      return at >= deadline ? { ok: true } : refuse(`the veto window is open until ${state.vetoDeadline}`);
    default:
      return refuse(`unknown event type ${String(event.type)}`);
  }
};

/** The state after `event`; events about no proposal, or another one, leave it as it is. */
export const evolveProposal = (state: ProposalState | undefined, event: Pick<LedgerEvent, 'type' | 'data'>): ProposalState | undefined => {
  switch (event.type) {
    case 'DecisionRecorded': {
      const { decision } = event.data as { decision: { proposalId: string; status: DecisionStatus; vetoDeadline: string | null } };
      return { proposalId: decision.proposalId, lifecycle: lifecycleOfDecision(decision.status), vetoDeadline: decision.vetoDeadline };
    }
    case 'ProposalApproved':
      return state && { ...state, lifecycle: 'APPROVED' };
    case 'ProposalRejected':
      return state && { ...state, lifecycle: 'REJECTED' };
    case 'ProposalVetoed':
      return state && { ...state, lifecycle: 'VETOED' };
    case 'VetoWindowElapsed':
      return state && { ...state, lifecycle: 'VETO_WINDOW_ELAPSED' };
    default:
      return state;
  }
};
