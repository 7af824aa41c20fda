import type { LedgerEventType } from '@halm/contracts';
import { checkTransition, evolveProposal, lifecycleOfDecision, proposalIdOf, type ProposalState } from './proposal-lifecycle';

const held: ProposalState = { proposalId: 'prop_1', lifecycle: 'HELD_FOR_VETO', vetoDeadline: '2026-03-15T11:00:00.000Z' };
const pending: ProposalState = { proposalId: 'prop_1', lifecycle: 'PENDING_APPROVAL', vetoDeadline: null };
const event = (type: LedgerEventType, recordedAt = '2026-03-15T10:30:00.000Z') => ({ type, recordedAt, data: { proposalId: 'prop_1' } });

describe('the proposal lifecycle', () => {
  it.each([
    ['ALLOW', 'ALLOWED'],
    ['DENY', 'DENIED'],
    ['REQUIRE_HUMAN', 'PENDING_APPROVAL'],
    ['HELD_FOR_VETO', 'HELD_FOR_VETO'],
  ] as const)('starts a %s decision as %s', (status, lifecycle) => {
    expect(lifecycleOfDecision(status)).toBe(lifecycle);
  });

  it.each([
    ['ProposalApproved', pending, 'APPROVED'],
    ['ProposalRejected', pending, 'REJECTED'],
    ['ProposalVetoed', held, 'VETOED'],
    ['VetoWindowElapsed', held, 'VETO_WINDOW_ELAPSED'],
  ] as const)('moves on %s to the next lifecycle', (type, state, lifecycle) => {
    expect(checkTransition(state, event(type, type === 'VetoWindowElapsed' ? '2026-03-15T11:00:00.000Z' : '2026-03-15T10:30:00.000Z'))).toEqual({ ok: true });
    expect(evolveProposal(state, event(type))?.lifecycle).toBe(lifecycle);
  });

  it('never accepts a veto at or after the deadline, nor the window’s end before it', () => {
    expect(checkTransition(held, event('ProposalVetoed', '2026-03-15T11:00:00.000Z')).ok).toBe(false);
    expect(checkTransition(held, event('VetoWindowElapsed', '2026-03-15T10:59:59.999Z')).ok).toBe(false);
  });

  it.each([
    ['an approval of a held proposal', held, 'ProposalApproved'],
    ['a veto of a pending proposal', pending, 'ProposalVetoed'],
    ['anything about an unknown proposal', undefined, 'ProposalApproved'],
    ['a second decision for a proposal', pending, 'DecisionRecorded'],
  ] as const)('refuses %s', (_name, state, type) => {
    expect(checkTransition(state, event(type)).ok).toBe(false);
  });

  it('finds the proposal of every event about one, and none for policy events', () => {
    expect(proposalIdOf({ type: 'DecisionRecorded', data: { proposal: { proposalId: 'prop_9' } } })).toBe('prop_9');
    expect(proposalIdOf({ type: 'ProposalVetoed', data: { proposalId: 'prop_9' } })).toBe('prop_9');
    expect(proposalIdOf({ type: 'PolicyActivated', data: { version: 2 } })).toBeUndefined();
  });
});
