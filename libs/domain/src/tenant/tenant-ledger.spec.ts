import type { BudgetCharge, DecisionStatus, LedgerEventType } from '@halm/contracts';
import { manifestHash, type ManifestDocument } from '../policy/manifest';
import { TenantLedger } from './tenant-ledger';

const BUDGETED: ManifestDocument = {
  autoCommitThreshold: 0.8,
  rules: [{ id: 'allow-all', actionTypes: ['*'], effect: 'ALLOW', reason: 'ok' }],
  budgets: [{ id: 'daily', actionTypes: ['ledger:write'], scope: 'agent', window: '24h', amount: 'double(payload.amount)', warning: 800, critical: 1000 }],
};

const at = (minutes: number) => new Date(Date.UTC(2026, 2, 15, 10, minutes)).toISOString();

const event = (type: LedgerEventType, data: unknown, recordedAt = at(0)) => ({ type, data, recordedAt });

const published = (version: number, manifest: ManifestDocument, proposalId: string | null = null) =>
  event('PolicyPublished', { version, hash: manifestHash(manifest), manifest, by: { kind: 'kernel', id: 'ledger' }, proposalId });
const activated = (version: number, manifest: ManifestDocument, proposalId: string | null = null) =>
  event('PolicyActivated', { version, hash: manifestHash(manifest), previousVersion: null, by: { kind: 'kernel', id: 'ledger' }, proposalId });

const decided = (
  proposalId: string,
  options: { status?: DecisionStatus; version?: number; charges?: BudgetCharge[]; used?: number; type?: string; payload?: unknown; minutes?: number } = {},
) =>
  event(
    'DecisionRecorded',
    {
      proposal: { proposalId, tenantId: 't', type: options.type ?? 'ledger:write', payload: options.payload ?? {}, context: { agentId: 'agent-1' }, submittedAt: at(0) },
      decision: {
        proposalId,
        status: options.status ?? 'ALLOW',
        vetoDeadline: options.status === 'HELD_FOR_VETO' ? at(60) : null,
        policy: { version: options.version ?? 1, hash: 'h' },
        stateRead: { budgets: { daily: { used: options.used ?? 0 } } },
        ...(options.charges ? { budgetCharges: options.charges } : {}),
      },
    },
    at(options.minutes ?? 0),
  );

const charge = (amount: number): BudgetCharge => ({ budgetId: 'daily', scopeKey: 'agent-1', amount, windowSeconds: 86_400 });

const withPolicy = (manifest: ManifestDocument = BUDGETED) => {
  const ledger = new TenantLedger('t');
  ledger.apply(published(1, manifest));
  ledger.apply(activated(1, manifest));
  return ledger;
};

describe('TenantLedger', () => {
  it('owes the default policy, published and activated as version 1, before the first decision', () => {
    const ledger = new TenantLedger('t');
    const genesis = ledger.genesisEffects(BUDGETED);

    expect(genesis.map((effect) => [effect.type, (effect.data as { version: number }).version])).toEqual([
      ['PolicyPublished', 1],
      ['PolicyActivated', 1],
    ]);
    for (const effect of genesis) {
      expect(ledger.check({ ...effect, recordedAt: at(0) })).toEqual({ ok: true });
      ledger.apply({ ...effect, recordedAt: at(0) });
    }
    expect(ledger.activePolicy()).toMatchObject({ version: 1, hash: manifestHash(BUDGETED) });
    expect(ledger.genesisEffects(BUDGETED)).toEqual([]);
  });

  it('numbers published versions without gaps and refuses a manifest that does not match its hash', () => {
    const ledger = withPolicy();

    expect(ledger.check(published(3, BUDGETED)).ok).toBe(false);
    expect(ledger.check(event('PolicyPublished', { version: 2, hash: 'f'.repeat(64), manifest: BUDGETED })).ok).toBe(false);
    expect(ledger.check(published(2, BUDGETED)).ok).toBe(true);
    expect(ledger.check(event('PolicyActivated', { version: 7, hash: manifestHash(BUDGETED) })).ok).toBe(false);
  });

  it('refuses a decision taken on a policy version that is no longer in force', () => {
    const ledger = withPolicy();
    const second: ManifestDocument = { ...BUDGETED, autoCommitThreshold: 0.5 };
    ledger.apply(published(2, second));
    ledger.apply(activated(2, second));

    expect(ledger.check(decided('prop_1', { version: 1 }))).toEqual({ ok: false, reason: expect.stringMatching(/version 2 is in force/) });
    expect(ledger.check(decided('prop_1', { version: 2 }))).toEqual({ ok: true });
  });

  it('sums a budget’s charges over its sliding window', () => {
    const ledger = withPolicy();
    ledger.apply(decided('prop_1', { charges: [charge(300)], minutes: 0 }));
    ledger.apply(decided('prop_2', { charges: [charge(200)], minutes: 30 }));

    expect(ledger.usage('daily', 'agent-1', 86_400, new Date(at(31)))).toBe(500);
    expect(ledger.usage('daily', 'agent-1', 20 * 60, new Date(at(31)))).toBe(200);
    expect(ledger.usage('daily', 'agent-2', 86_400, new Date(at(31)))).toBe(0);
  });

  it('counts charges recorded after a decision’s own time, so a slow decision cannot overspend', () => {
    const ledger = withPolicy();
    ledger.apply(decided('prop_1', { charges: [charge(950)], minutes: 5 }));

    // Decided at minute 1, recorded after a charge from minute 5.
    expect(ledger.check(decided('prop_2', { charges: [charge(100)], used: 0, minutes: 1 }))).toEqual({ ok: false, reason: expect.stringMatching(/would reach 1050/) });
  });

  it('refuses a decision that would take a budget past critical, however it was computed', () => {
    const ledger = withPolicy();
    ledger.apply(decided('prop_1', { charges: [charge(900)] }));

    // Decided on a stale read of 0 used: recording it would overspend.
    const stale = ledger.check(decided('prop_2', { charges: [charge(200)], used: 0, minutes: 1 }));
    expect(stale).toEqual({ ok: false, reason: expect.stringMatching(/would reach 1100 of 1000/) });
    expect(ledger.check(decided('prop_3', { charges: [charge(100)], used: 900, minutes: 1 }))).toEqual({ ok: true });
  });

  it('asks for a new decision when the budget level moved since the decision read it', () => {
    const ledger = withPolicy();
    ledger.apply(decided('prop_1', { charges: [charge(700)] }));

    expect(ledger.check(decided('prop_2', { charges: [charge(100)], used: 0, minutes: 1 }))).toEqual({ ok: false, reason: expect.stringMatching(/moved to WARNING/) });
    expect(ledger.check(decided('prop_2', { charges: [charge(100)], used: 700, minutes: 1 }))).toEqual({ ok: true });
  });

  it('gives back the charge of a proposal a human rejected', () => {
    const ledger = withPolicy();
    ledger.apply(decided('prop_1', { status: 'REQUIRE_HUMAN', charges: [charge(600)] }));
    ledger.apply(event('ProposalRejected', { proposalId: 'prop_1', by: { kind: 'key', id: 'k' }, reason: 'no' }, at(5)));

    expect(ledger.usage('daily', 'agent-1', 86_400, new Date(at(6)))).toBe(0);
  });

  describe('policy:update proposals, which the kernel carries out', () => {
    const next: ManifestDocument = { ...BUDGETED, autoCommitThreshold: 0.9 };
    const publish = { operation: 'publish', manifest: next, hash: manifestHash(next) };

    it('owes the publication of an allowed policy:update at once', () => {
      const ledger = withPolicy();
      ledger.apply(decided('prop_p', { type: 'policy:update', payload: publish }));

      expect(ledger.owedEffects()).toEqual([
        { eventId: 'prop_p.effect', type: 'PolicyPublished', data: expect.objectContaining({ version: 2, hash: manifestHash(next), proposalId: 'prop_p' }) },
      ]);
      ledger.apply(published(2, next, 'prop_p'));
      expect(ledger.owedEffects()).toEqual([]);
    });

    it('owes it only after approval, and never after a rejection', () => {
      const approved = withPolicy();
      approved.apply(decided('prop_p', { type: 'policy:update', payload: publish, status: 'REQUIRE_HUMAN' }));
      expect(approved.owedEffects()).toEqual([]);
      approved.apply(event('ProposalApproved', { proposalId: 'prop_p', by: { kind: 'key', id: 'k' }, reason: 'ok' }));
      expect(approved.owedEffects()).toHaveLength(1);

      const rejected = withPolicy();
      rejected.apply(decided('prop_p', { type: 'policy:update', payload: publish, status: 'REQUIRE_HUMAN' }));
      rejected.apply(event('ProposalRejected', { proposalId: 'prop_p', by: { kind: 'key', id: 'k' }, reason: 'no' }));
      expect(rejected.owedEffects()).toEqual([]);
    });

    it('owes an activation held for veto once the window elapsed unvetoed', () => {
      const ledger = withPolicy();
      ledger.apply(published(2, next));
      ledger.apply(decided('prop_a', { type: 'policy:update', payload: { operation: 'activate', version: 2, hash: manifestHash(next) }, status: 'HELD_FOR_VETO' }));
      expect(ledger.owedEffects()).toEqual([]);

      ledger.apply(event('VetoWindowElapsed', { proposalId: 'prop_a', vetoDeadline: at(60) }, at(60)));

      expect(ledger.owedEffects()).toEqual([
        { eventId: 'prop_a.effect', type: 'PolicyActivated', data: expect.objectContaining({ version: 2, previousVersion: 1, proposalId: 'prop_a' }) },
      ]);
    });
  });

  describe('executions', () => {
    const kernel = { kind: 'kernel', id: 'test' } as const;
    const start = (proposalId: string, decisionHash: string, executionId = `exe_${proposalId}`) =>
      event('ExecutionStarted', {
        executionId,
        proposalId,
        idempotencyKey: `key-${executionId}`,
        actionType: 'ledger:write',
        actionDigest: 'd'.repeat(64),
        decisionHash,
        tokenId: `tok_${executionId}`,
        tokenKeyId: 'kid',
        performer: 'agent',
        connector: null,
        executorId: 'executor-1',
        requestedBy: { kind: 'key', id: 'k' },
      });
    const complete = (executionId: string) =>
      event('ExecutionCompleted', { executionId, proposalId: 'p', decisionHash: 'h', outcome: 'SUCCEEDED', result: {}, by: kernel });
    const withHash = <T extends object>(recorded: T, hash: string) => ({ ...recorded, hash });
    const engage = (lockdownId: string) =>
      event('LockdownEngaged', { lockdownId, scope: 'tenant', trigger: 'MANUAL', reason: 'investigating', by: kernel, evidence: {} });

    it('lets an allowed proposal start one execution, under the hash of its decision only', () => {
      const ledger = withPolicy();
      ledger.apply(withHash(decided('prop_1'), 'a'.repeat(64)));

      expect(ledger.check(start('prop_1', 'b'.repeat(64)))).toMatchObject({ ok: false, code: 'NOT_EXECUTABLE' });
      expect(ledger.check(start('prop_1', 'a'.repeat(64)))).toEqual({ ok: true });
      ledger.apply(start('prop_1', 'a'.repeat(64)));

      expect(ledger.check(start('prop_1', 'a'.repeat(64), 'exe_other'))).toMatchObject({ ok: false, code: 'TOKEN_ALREADY_USED' });
      expect(ledger.check(start('prop_1', 'a'.repeat(64)))).toMatchObject({ ok: false, reason: expect.stringContaining('started already') });
    });

    it('refuses denied, waiting, rejected and vetoed proposals, and unknown ones', () => {
      const ledger = withPolicy();
      ledger.apply(withHash(decided('prop_denied', { status: 'DENY' }), 'd1'));
      ledger.apply(withHash(decided('prop_waiting', { status: 'REQUIRE_HUMAN' }), 'w1'));
      ledger.apply(withHash(decided('prop_rejected', { status: 'REQUIRE_HUMAN' }), 'r1'));
      ledger.apply(withHash(event('ProposalRejected', { proposalId: 'prop_rejected', by: kernel, reason: 'no' }), 'r2'));
      ledger.apply(withHash(decided('prop_vetoed', { status: 'HELD_FOR_VETO' }), 'v1'));
      ledger.apply(withHash(event('ProposalVetoed', { proposalId: 'prop_vetoed', by: kernel, reason: 'no' }), 'v2'));

      for (const [proposalId, hash] of [['prop_denied', 'd1'], ['prop_waiting', 'w1'], ['prop_rejected', 'r2'], ['prop_vetoed', 'v2'], ['prop_unknown', 'x']] as const) {
        expect(ledger.check(start(proposalId, hash))).toMatchObject({ ok: false, code: 'NOT_EXECUTABLE' });
      }
    });

    it('binds an approved or unvetoed proposal to the approval or the elapsed window, not the decision', () => {
      const ledger = withPolicy();
      ledger.apply(withHash(decided('prop_human', { status: 'REQUIRE_HUMAN' }), 'decision-1'));
      ledger.apply(withHash(event('ProposalApproved', { proposalId: 'prop_human', by: kernel, reason: 'ok' }), 'approval-1'));
      ledger.apply(withHash(decided('prop_held', { status: 'HELD_FOR_VETO' }), 'decision-2'));
      ledger.apply(withHash(event('VetoWindowElapsed', { proposalId: 'prop_held', vetoDeadline: at(60) }, at(60)), 'elapsed-2'));

      expect(ledger.check(start('prop_human', 'decision-1'))).toMatchObject({ ok: false, code: 'NOT_EXECUTABLE' });
      expect(ledger.check(start('prop_human', 'approval-1'))).toEqual({ ok: true });
      expect(ledger.check(start('prop_held', 'elapsed-2'))).toEqual({ ok: true });
      expect(ledger.executableHash('prop_held')).toBe('elapsed-2');
    });

    it('never lets an executor run a policy:update, which the kernel carries out itself', () => {
      const ledger = withPolicy();
      const next: ManifestDocument = { ...BUDGETED, autoCommitThreshold: 0.9 };
      ledger.apply(withHash(decided('prop_p', { type: 'policy:update', payload: { operation: 'publish', manifest: next, hash: manifestHash(next) } }), 'p1'));
      ledger.apply(withHash(decided('prop_q', { type: 'policy:update', status: 'REQUIRE_HUMAN', payload: { operation: 'publish', manifest: next, hash: manifestHash(next) } }), 'q1'));
      ledger.apply(withHash(event('ProposalApproved', { proposalId: 'prop_q', by: kernel, reason: 'ok' }), 'q2'));

      expect(ledger.check(start('prop_p', 'p1'))).toMatchObject({ ok: false, code: 'NOT_EXECUTABLE' });
      expect(ledger.check(start('prop_q', 'q2'))).toMatchObject({ ok: false, code: 'NOT_EXECUTABLE' });
    });

    it('ends an execution once, and only one that started', () => {
      const ledger = withPolicy();
      ledger.apply(withHash(decided('prop_1'), 'a'));
      expect(ledger.check(complete('exe_prop_1'))).toMatchObject({ ok: false, reason: expect.stringContaining('never started') });
      ledger.apply(start('prop_1', 'a'));
      expect(ledger.check(complete('exe_prop_1'))).toEqual({ ok: true });
      ledger.apply(complete('exe_prop_1'));
      expect(ledger.check(complete('exe_prop_1'))).toMatchObject({ ok: false, reason: expect.stringContaining('ended already') });
    });

    it('refuses every execution and every ALLOW while a lockdown is in force, and neither after its release', () => {
      const ledger = withPolicy();
      ledger.apply(withHash(decided('prop_1'), 'a'));
      ledger.apply(engage('lock_1'));

      expect(ledger.check(start('prop_1', 'a'))).toMatchObject({ ok: false, code: 'LOCKDOWN_ACTIVE' });
      expect(ledger.check(decided('prop_2'))).toMatchObject({ ok: false, reason: expect.stringContaining('lockdown lock_1') });
      expect(ledger.check(decided('prop_3', { status: 'DENY' }))).toEqual({ ok: true });
      expect(ledger.check(engage('lock_1'))).toMatchObject({ ok: false });
      expect(ledger.activeLockdowns().map((lockdown) => lockdown.lockdownId)).toEqual(['lock_1']);

      ledger.apply(event('LockdownReleased', { lockdownId: 'lock_1', scope: 'tenant', reason: 'false alarm', by: kernel }));

      expect(ledger.check(start('prop_1', 'a'))).toEqual({ ok: true });
      expect(ledger.check(decided('prop_2'))).toEqual({ ok: true });
      expect(ledger.check(event('LockdownReleased', { lockdownId: 'lock_1', scope: 'tenant', reason: 'again', by: kernel }))).toMatchObject({ ok: false });
      // A late retry of the released lockdown's engage must not lock the tenant again.
      expect(ledger.check(engage('lock_1'))).toMatchObject({ ok: false, reason: expect.stringContaining('released already') });
    });
  });
});
