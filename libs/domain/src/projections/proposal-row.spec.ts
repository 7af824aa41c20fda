import fc from 'fast-check';
import type { DecisionStatus, LedgerEvent, LedgerEventType } from '@halm/contracts';
import { projectProposalRow, PROPOSAL_LIFECYCLES, type ProposalRow } from './proposal-row';

const DECIDED_AT = '2026-03-15T10:00:00.000Z';
const DEADLINE = '2026-03-15T11:00:00.000Z';

const event = (height: number, type: LedgerEventType, data: unknown, recordedAt = DECIDED_AT, tenantId = 'tenant-a'): LedgerEvent => ({
  tenantId,
  height,
  prevHash: '0'.repeat(64),
  eventId: `e${height}`,
  type,
  recordedAt,
  data,
  hash: String(height).padStart(64, '0'),
});

const decided = (height: number, proposalId: string, status: DecisionStatus, tenantId = 'tenant-a'): LedgerEvent =>
  event(
    height,
    'DecisionRecorded',
    {
      proposal: {
        proposalId,
        tenantId,
        type: 'ledger:write',
        payload: { amount: 50_000, recipient: 'acme' },
        context: { confidenceScore: 0.95, agentId: 'agent-7', sessionId: 'session-1' },
        submittedAt: DECIDED_AT,
      },
      decision: {
        proposalId,
        status,
        allowed: status === 'ALLOW',
        reasons: ['because'],
        constraints: {},
        vetoDeadline: status === 'HELD_FOR_VETO' ? DEADLINE : null,
        humanApprovalRequired: status === 'REQUIRE_HUMAN',
        decidedAt: DECIDED_AT,
        policy: { version: 1, hash: 'h' },
        matchedRules: [],
        stateRead: {},
      },
    },
    DECIDED_AT,
    tenantId,
  );

const byApprover = { kind: 'key', id: 'key_approver' } as const;

const step = (height: number, type: LedgerEventType, proposalId: string, recordedAt: string): LedgerEvent =>
  event(height, type, type === 'VetoWindowElapsed' ? { proposalId, vetoDeadline: DEADLINE } : { proposalId, by: byApprover, reason: 'checked' }, recordedAt);

/** One proposal's row after a tenant's events, starting from nothing. */
const fold = (events: LedgerEvent[]): ProposalRow | undefined => events.reduce(projectProposalRow, undefined);

describe('projectProposalRow', () => {
  it.each([
    ['ALLOW', 'ALLOWED'],
    ['DENY', 'DENIED'],
    ['REQUIRE_HUMAN', 'PENDING_APPROVAL'],
    ['HELD_FOR_VETO', 'HELD_FOR_VETO'],
  ] as const)('starts a %s decision in lifecycle %s', (status, lifecycle) => {
    const row = projectProposalRow(undefined, decided(3, 'prop_1', status));

    expect(row).toMatchObject({
      proposalId: 'prop_1',
      tenantId: 'tenant-a',
      type: 'ledger:write',
      agentId: 'agent-7',
      sessionId: 'session-1',
      status,
      lifecycle,
      vetoDeadline: status === 'HELD_FOR_VETO' ? DEADLINE : null,
      decidedAt: DECIDED_AT,
      updatedAt: DECIDED_AT,
      lastHeight: 3,
      history: [{ type: 'DecisionRecorded', height: 3, recordedAt: DECIDED_AT }],
    });
  });

  it('keeps the proposal and the decision as recorded', () => {
    const recorded = decided(1, 'prop_1', 'REQUIRE_HUMAN');
    const row = projectProposalRow(undefined, recorded);
    const data = recorded.data as { proposal: unknown; decision: unknown };

    expect(row?.proposal).toEqual(data.proposal);
    expect(row?.decision).toEqual(data.decision);
  });

  it.each([
    ['ProposalApproved', 'REQUIRE_HUMAN', 'APPROVED'],
    ['ProposalRejected', 'REQUIRE_HUMAN', 'REJECTED'],
    ['ProposalVetoed', 'HELD_FOR_VETO', 'VETOED'],
    ['VetoWindowElapsed', 'HELD_FOR_VETO', 'VETO_WINDOW_ELAPSED'],
  ] as const)('moves the lifecycle on with %s and records who and why', (type, status, lifecycle) => {
    const at = type === 'VetoWindowElapsed' ? DEADLINE : '2026-03-15T10:05:00.000Z';
    const start = projectProposalRow(undefined, decided(1, 'prop_1', status));

    const row = projectProposalRow(start, step(2, type, 'prop_1', at));

    expect(row).toMatchObject({ lifecycle, status, updatedAt: at, lastHeight: 2 });
    const hash = step(2, type, 'prop_1', at).hash;
    expect(row?.history[1]).toEqual(
      type === 'VetoWindowElapsed' ? { type, height: 2, hash, recordedAt: at } : { type, height: 2, hash, recordedAt: at, by: byApprover, reason: 'checked' },
    );
  });

  it('leaves the row alone for an event about another proposal, or about no proposal', () => {
    const row = projectProposalRow(undefined, decided(1, 'prop_1', 'REQUIRE_HUMAN'));

    expect(projectProposalRow(row, step(2, 'ProposalApproved', 'prop_2', DECIDED_AT))).toBe(row);
    expect(projectProposalRow(row, event(2, 'PolicyActivated', { version: 2, hash: 'h', previousVersion: 1, by: byApprover, proposalId: 'prop_9' }))).toBe(row);
    expect(projectProposalRow(undefined, event(2, 'PolicyPublished', { version: 2, hash: 'h', manifest: {}, by: byApprover, proposalId: 'prop_9' }))).toBeUndefined();
  });

  it('leaves another tenant’s row alone even when the proposal id matches', () => {
    const row = projectProposalRow(undefined, decided(1, 'prop_1', 'REQUIRE_HUMAN'));
    const forged = { ...step(2, 'ProposalApproved', 'prop_1', DECIDED_AT), tenantId: 'tenant-b' };

    expect(projectProposalRow(row, forged)).toBe(row);
  });

  it('projects nothing for a step about a proposal it has no decision for', () => {
    expect(projectProposalRow(undefined, step(1, 'ProposalApproved', 'prop_1', DECIDED_AT))).toBeUndefined();
  });

  it('keeps the first decision when a proposal is decided twice', () => {
    const row = projectProposalRow(undefined, decided(1, 'prop_1', 'REQUIRE_HUMAN'));

    expect(projectProposalRow(row, decided(2, 'prop_1', 'ALLOW'))).toBe(row);
  });

  it('changes nothing when an event it already folded in comes again', () => {
    const start = projectProposalRow(undefined, decided(1, 'prop_1', 'REQUIRE_HUMAN'));
    const approved = projectProposalRow(start, step(2, 'ProposalApproved', 'prop_1', DECIDED_AT));

    expect(projectProposalRow(approved, step(2, 'ProposalApproved', 'prop_1', DECIDED_AT))).toBe(approved);
    expect(projectProposalRow(approved, decided(1, 'prop_1', 'REQUIRE_HUMAN'))).toBe(approved);
  });

  it('projects nothing for a decision it cannot read, instead of throwing', () => {
    expect(projectProposalRow(undefined, event(1, 'DecisionRecorded', { proposal: { proposalId: 'prop_1' }, decision: { status: 'MAYBE' } }))).toBeUndefined();
    expect(projectProposalRow(undefined, event(1, 'DecisionRecorded', null))).toBeUndefined();
  });

  it('takes the time of the event when the decision carries none', () => {
    const recorded = decided(1, 'prop_1', 'ALLOW');
    const { decision } = recorded.data as { decision: Record<string, unknown> };
    delete decision['decidedAt'];

    expect(projectProposalRow(undefined, { ...recorded, recordedAt: '2026-03-15T09:00:00.000Z' })?.decidedAt).toBe('2026-03-15T09:00:00.000Z');
  });

  it('lists every lifecycle once', () => {
    expect([...PROPOSAL_LIFECYCLES].sort()).toEqual(
      ['ALLOWED', 'APPROVED', 'DENIED', 'HELD_FOR_VETO', 'PENDING_APPROVAL', 'REJECTED', 'VETOED', 'VETO_WINDOW_ELAPSED'].sort(),
    );
  });

  describe('laws', () => {
    const stepTypes: LedgerEventType[] = ['ProposalApproved', 'ProposalRejected', 'ProposalVetoed', 'VetoWindowElapsed', 'PolicyActivated'];
    const historyArbitrary = fc
      .tuple(
        fc.constantFrom<DecisionStatus>('ALLOW', 'DENY', 'REQUIRE_HUMAN', 'HELD_FOR_VETO'),
        fc.array(fc.tuple(fc.constantFrom(...stepTypes), fc.constantFrom('prop_1', 'prop_2')), { maxLength: 8 }),
      )
      .map(([status, steps]) => [
        decided(1, 'prop_1', status),
        ...steps.map(([type, proposalId], index) =>
          type === 'PolicyActivated'
            ? event(index + 2, type, { version: index, hash: 'h', previousVersion: null, by: byApprover, proposalId: 'prop_9' })
            : step(index + 2, type, proposalId, DEADLINE),
        ),
      ]);

    it('is deterministic', () => {
      fc.assert(fc.property(historyArbitrary, (events) => expect(fold(events)).toEqual(fold(events))));
    });

    it('folds a redelivered event in once: applying every event twice equals applying it once', () => {
      fc.assert(
        fc.property(historyArbitrary, (events) => {
          const twice = events.flatMap((next) => [next, next]);
          expect(fold(twice)).toEqual(fold(events));
        }),
      );
    });

    it('has one history entry per event about the proposal, in height order', () => {
      fc.assert(
        fc.property(historyArbitrary, (events) => {
          const row = fold(events);
          const about = events.filter((next) => (next.data as { proposalId?: string }).proposalId === 'prop_1' || next.type === 'DecisionRecorded');
          expect(row?.history.map((entry) => entry.height)).toEqual(about.map((next) => next.height));
          expect(row?.lastHeight).toBe(about.at(-1)?.height);
        }),
      );
    });
  });
});
