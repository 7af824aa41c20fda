import type { DecisionStatus, ExecutionOutcome, LedgerEvent, LedgerEventType } from '@halm/contracts';
import { chain, EMPTY_HEAD, eventLeafHash, type EventDraft } from '@halm/domain';
import { createTestDatabase } from '@halm/testing';
import { LedgerEventReadModel } from './audit-read-model';
import { createDataSource, migrate } from './data-source';
import { ExecutionReadModel } from './execution-read-model';
import { ProposalProjection } from './proposal-projection';

/** A tenant's ledger, chained for real, as the ledger service records it. */
const ledgerOf = (tenantId: string) => {
  const events: LedgerEvent[] = [];
  const add = (type: LedgerEventType, data: unknown, recordedAt: string) => {
    const draft: EventDraft = { tenantId, eventId: `e${events.length + 1}`, type, recordedAt, data };
    const last = events.at(-1);
    const event = chain(last ? { height: last.height, hash: last.hash } : EMPTY_HEAD, draft);
    events.push(event);
    return event;
  };
  return {
    events,
    decide: (proposalId: string, status: DecisionStatus, extra: Record<string, unknown> = {}) =>
      add(
        'DecisionRecorded',
        {
          proposal: { proposalId, tenantId, type: 'webhook:send', payload: { url: 'https://example.com/hook' }, context: { agentId: 'agent-7' }, submittedAt: '2026-03-15T10:00:00.000Z' },
          decision: {
            proposalId,
            status,
            allowed: status === 'ALLOW',
            reasons: ['Action complies with active policy manifest'],
            constraints: {},
            vetoDeadline: status === 'HELD_FOR_VETO' ? '2026-03-15T11:00:00.000Z' : null,
            humanApprovalRequired: status === 'REQUIRE_HUMAN',
            decidedAt: '2026-03-15T10:00:00.000Z',
            policy: { version: 2, hash: 'a'.repeat(64) },
            matchedRules: ['standard'],
            stateRead: {},
            ...extra,
          },
        },
        '2026-03-15T10:00:00.001Z',
      ),
    verdict: (type: 'ProposalApproved' | 'ProposalRejected' | 'ProposalVetoed', proposalId: string, reason: string) =>
      add(type, { proposalId, by: { kind: 'key', id: 'key_approver' }, reason }, '2026-03-15T10:05:00.000Z'),
    elapse: (proposalId: string) => add('VetoWindowElapsed', { proposalId, vetoDeadline: '2026-03-15T11:00:00.000Z' }, '2026-03-15T11:00:00.500Z'),
    start: (executionId: string, proposalId: string, idempotencyKey: string, performer: 'kernel' | 'agent', startedAt: string, decisionHash: string) =>
      add(
        'ExecutionStarted',
        {
          executionId,
          proposalId,
          idempotencyKey,
          actionType: 'webhook:send',
          actionDigest: 'd'.repeat(64),
          decisionHash,
          tokenId: `tok_${executionId}`,
          tokenKeyId: 'kid1',
          performer,
          connector: performer === 'kernel' ? 'webhook:send' : null,
          executorId: 'executor-1',
          requestedBy: { kind: 'key', id: 'key_agent' },
        },
        startedAt,
      ),
    complete: (executionId: string, proposalId: string, outcome: ExecutionOutcome, result: Record<string, unknown>, decisionHash: string) =>
      add('ExecutionCompleted', { executionId, proposalId, decisionHash, outcome, result, by: { kind: 'kernel', id: 'executor-1' } }, '2026-03-15T10:10:00.000Z'),
  };
};

const openDatabase = async () => {
  const database = await createTestDatabase(migrate);
  const dataSource = await createDataSource(database.url, 4).initialize();
  return {
    dataSource,
    projection: new ProposalProjection(dataSource),
    [Symbol.asyncDispose]: async () => {
      await dataSource.destroy();
      await database[Symbol.asyncDispose]();
    },
  };
};

describe('the ledger’s read models beside proposals', () => {
  it('keeps every event as stored, with its RFC 9162 leaf hash', async () => {
    await using db = await openDatabase();
    const ledger = ledgerOf('tenant-a');
    ledger.decide('prop_1', 'ALLOW');
    ledger.decide('prop_2', 'REQUIRE_HUMAN');
    ledger.verdict('ProposalApproved', 'prop_2', 'fine');

    await db.projection.apply(ledger.events);

    const model = new LedgerEventReadModel(db.dataSource);
    expect(await model.projectedHeight('tenant-a')).toBe(3);
    expect(await model.projectedHeight('tenant-b')).toBe(0);
    expect(await model.range('tenant-a', 2, 9)).toEqual(ledger.events.slice(1).map((event) => ({ event, leafHash: eventLeafHash(event).toString('hex') })));
    expect(await model.at('tenant-a', 4)).toBeUndefined();
    expect(await model.at('tenant-b', 1)).toBeUndefined();
    expect(await model.leafHashes('tenant-a', 2)).toEqual(ledger.events.slice(0, 2).map(eventLeafHash));
    await expect(model.leafHashes('tenant-a', 4)).rejects.toThrow(/3 events projected/);
    const [row] = await db.dataSource.query('SELECT * FROM ledger_events WHERE height = 1');
    expect(row).toMatchObject({ tenant_id: 'tenant-a', event_id: 'e1', type: 'DecisionRecorded', hash: ledger.events[0]!.hash, prev_hash: '0'.repeat(64) });
  });

  it('records one decision per DecisionRecorded with its policy, reasons, rules and budget level', async () => {
    await using db = await openDatabase();
    const ledger = ledgerOf('tenant-a');
    const statuses: DecisionStatus[] = ['ALLOW', 'DENY', 'REQUIRE_HUMAN', 'HELD_FOR_VETO'];
    statuses.forEach((status, index) => ledger.decide(`prop_${index}`, status, index === 0 ? { budgetLevel: 'WARNING' } : {}));

    await db.projection.apply(ledger.events);

    const rows = await db.dataSource.query('SELECT * FROM decisions ORDER BY height');
    expect(rows.map((row: { status: string }) => row.status)).toEqual(statuses);
    expect(rows[0]).toEqual({
      tenant_id: 'tenant-a',
      height: 1,
      hash: ledger.events[0]!.hash,
      proposal_id: 'prop_0',
      action_type: 'webhook:send',
      agent_id: 'agent-7',
      status: 'ALLOW',
      allowed: true,
      policy_version: 2,
      policy_hash: 'a'.repeat(64),
      reasons: ['Action complies with active policy manifest'],
      matched_rules: ['standard'],
      budget_level: 'WARNING',
      veto_deadline: null,
      decided_at: new Date('2026-03-15T10:00:00.000Z'),
      recorded_at: new Date('2026-03-15T10:00:00.001Z'),
    });
    expect(rows[3]).toMatchObject({ allowed: false, budget_level: null, veto_deadline: new Date('2026-03-15T11:00:00.000Z') });
  });

  it('records each verdict with who gave it and why, and an elapsed veto window as a verdict nobody gave', async () => {
    await using db = await openDatabase();
    const ledger = ledgerOf('tenant-a');
    ledger.decide('prop_1', 'REQUIRE_HUMAN');
    ledger.decide('prop_2', 'REQUIRE_HUMAN');
    ledger.decide('prop_3', 'HELD_FOR_VETO');
    ledger.decide('prop_4', 'HELD_FOR_VETO');
    ledger.verdict('ProposalApproved', 'prop_1', 'checked');
    ledger.verdict('ProposalRejected', 'prop_2', 'too much');
    ledger.verdict('ProposalVetoed', 'prop_3', 'not now');
    ledger.elapse('prop_4');

    await db.projection.apply(ledger.events);

    expect(await db.dataSource.query('SELECT proposal_id, verdict, actor_kind, actor_id, reason, height FROM approvals ORDER BY height')).toEqual([
      { proposal_id: 'prop_1', verdict: 'APPROVED', actor_kind: 'key', actor_id: 'key_approver', reason: 'checked', height: 5 },
      { proposal_id: 'prop_2', verdict: 'REJECTED', actor_kind: 'key', actor_id: 'key_approver', reason: 'too much', height: 6 },
      { proposal_id: 'prop_3', verdict: 'VETOED', actor_kind: 'key', actor_id: 'key_approver', reason: 'not now', height: 7 },
      { proposal_id: 'prop_4', verdict: 'VETO_WINDOW_ELAPSED', actor_kind: null, actor_id: null, reason: null, height: 8 },
    ]);
  });

  it('creates an execution when it starts and completes it with its outcome, also across batches', async () => {
    await using db = await openDatabase();
    const ledger = ledgerOf('tenant-a');
    const decided = ledger.decide('prop_1', 'ALLOW');
    ledger.decide('prop_2', 'ALLOW');
    ledger.start('exe_1', 'prop_1', 'idem-1', 'kernel', '2026-03-15T10:01:00.000Z', decided.hash);
    ledger.complete('exe_1', 'prop_1', 'SUCCEEDED', { status: 202, attempts: 1 }, decided.hash);
    const started = ledger.start('exe_2', 'prop_2', 'idem-2', 'agent', '2026-03-15T10:02:00.000Z', ledger.events[1]!.hash);

    await db.projection.apply(ledger.events);
    const model = new ExecutionReadModel(db.dataSource);
    expect(await model.find('tenant-a', 'exe_1')).toEqual({
      tenantId: 'tenant-a',
      executionId: 'exe_1',
      proposalId: 'prop_1',
      idempotencyKey: 'idem-1',
      actionType: 'webhook:send',
      actionDigest: 'd'.repeat(64),
      performer: 'kernel',
      connector: 'webhook:send',
      decisionHash: decided.hash,
      executorId: 'executor-1',
      tokenId: 'tok_exe_1',
      requestedBy: { kind: 'key', id: 'key_agent' },
      status: 'SUCCEEDED',
      result: { status: 202, attempts: 1 },
      completedBy: { kind: 'kernel', id: 'executor-1' },
      started: { height: 3, hash: ledger.events[2]!.hash, recordedAt: '2026-03-15T10:01:00.000Z' },
      completed: { height: 4, hash: ledger.events[3]!.hash, recordedAt: '2026-03-15T10:10:00.000Z' },
    });
    expect(await model.byIdempotencyKey('tenant-a', 'idem-2')).toMatchObject({ executionId: 'exe_2', status: 'STARTED', result: null, completed: null, started: { height: started.height } });

    ledger.complete('exe_2', 'prop_2', 'FAILED', { reported: 'card declined' }, ledger.events[1]!.hash);
    ledger.complete('exe_2', 'prop_2', 'SUCCEEDED', {}, ledger.events[1]!.hash);
    await db.projection.apply(ledger.events.slice(5));

    expect(await model.find('tenant-a', 'exe_2')).toMatchObject({ status: 'FAILED', result: { reported: 'card declined' }, completed: { height: 6 } });
    expect(await model.find('tenant-b', 'exe_2')).toBeUndefined();
    expect(await model.byIdempotencyKey('tenant-b', 'idem-2')).toBeUndefined();
  });

  it('lists the kernel’s open executions across tenants, oldest start first', async () => {
    await using db = await openDatabase();
    const acme = ledgerOf('tenant-a');
    const globex = ledgerOf('tenant-b');
    const a = acme.decide('prop_a', 'ALLOW');
    acme.start('exe_a1', 'prop_a', 'k1', 'kernel', '2026-03-15T10:03:00.000Z', a.hash);
    acme.start('exe_a2', 'prop_a', 'k2', 'agent', '2026-03-15T10:00:30.000Z', a.hash);
    acme.start('exe_a3', 'prop_a', 'k3', 'kernel', '2026-03-15T10:00:10.000Z', a.hash);
    acme.complete('exe_a3', 'prop_a', 'IN_DOUBT', {}, a.hash);
    const b = globex.decide('prop_b', 'ALLOW');
    globex.start('exe_b1', 'prop_b', 'k1', 'kernel', '2026-03-15T10:01:00.000Z', b.hash);

    await db.projection.apply([...acme.events, ...globex.events]);

    const open = await new ExecutionReadModel(db.dataSource).openKernelExecutions(10);
    expect(open.map((row) => [row.tenantId, row.executionId, row.executorId, row.started.recordedAt])).toEqual([
      ['tenant-b', 'exe_b1', 'executor-1', '2026-03-15T10:01:00.000Z'],
      ['tenant-a', 'exe_a1', 'executor-1', '2026-03-15T10:03:00.000Z'],
    ]);
    expect(await new ExecutionReadModel(db.dataSource).openKernelExecutions(1)).toHaveLength(1);
  });

  it('keeps an event holding a NUL character exactly, and the read models with U+FFFD in its place', async () => {
    await using db = await openDatabase();
    const ledger = ledgerOf('tenant-a');
    ledger.decide('prop_1', 'REQUIRE_HUMAN');
    const approved = ledger.verdict('ProposalApproved', 'prop_1', 'ok\u0000then');

    expect((await db.projection.apply(ledger.events)).outcomes).toEqual(['applied', 'applied']);

    expect((await new LedgerEventReadModel(db.dataSource).at('tenant-a', 2))?.event).toEqual(approved);
    expect(await db.dataSource.query('SELECT reason FROM approvals')).toEqual([{ reason: 'ok\uFFFDthen' }]);
    const [proposal] = await db.dataSource.query('SELECT history FROM proposals');
    expect(proposal.history[1].reason).toBe('ok\uFFFDthen');
  });
});
