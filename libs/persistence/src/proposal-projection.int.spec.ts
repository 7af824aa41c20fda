import type { DecisionStatus, LedgerEvent, LedgerEventType } from '@halm/contracts';
import { createTestDatabase } from '@halm/testing';
import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from './data-source';
import { ProposalProjection } from './proposal-projection';
import { ProposalReadModel } from './proposal-read-model';

const AT = '2026-03-15T10:00:00.000Z';

/** A tenant's ledger, event by event, as the projection receives it (hashes need only be distinct). */
const ledgerOf = (tenantId: string) => {
  const events: LedgerEvent[] = [];
  const add = (type: LedgerEventType, data: unknown, recordedAt = AT) => {
    const height = events.length + 1;
    events.push({ tenantId, height, prevHash: events.at(-1)?.hash ?? '0'.repeat(64), eventId: `e${height}`, type, recordedAt, data, hash: `${tenantId}-${height}` });
    return events;
  };
  return {
    events,
    decide: (proposalId: string, status: DecisionStatus, decidedAt = AT) =>
      add(
        'DecisionRecorded',
        {
          proposal: { proposalId, tenantId, type: 'ledger:write', payload: { amount: 50_000 }, context: { agentId: 'agent-7' }, submittedAt: decidedAt },
          decision: {
            proposalId,
            status,
            allowed: status === 'ALLOW',
            reasons: ['r'],
            constraints: {},
            vetoDeadline: status === 'HELD_FOR_VETO' ? '2026-03-15T11:00:00.000Z' : null,
            humanApprovalRequired: status === 'REQUIRE_HUMAN',
            decidedAt,
            policy: { version: 1, hash: 'h' },
            matchedRules: [],
            stateRead: {},
          },
        },
        decidedAt,
      ),
    approve: (proposalId: string, recordedAt = '2026-03-15T10:05:00.000Z') =>
      add('ProposalApproved', { proposalId, by: { kind: 'key', id: 'key_approver' }, reason: 'ok' }, recordedAt),
    publishPolicy: () => add('PolicyPublished', { version: 2, hash: 'h2', manifest: {}, by: { kind: 'kernel', id: 'test' }, proposalId: 'prop_policy' }),
  };
};

/** Every table of the ledger's projection, as plain rows in a stable order. */
const snapshot = async (dataSource: DataSource) => ({
  proposals: await dataSource.query('SELECT * FROM proposals ORDER BY proposal_id'),
  heads: await dataSource.query('SELECT * FROM ledger_projection_heads ORDER BY tenant_id'),
  events: await dataSource.query('SELECT * FROM ledger_events ORDER BY tenant_id, height'),
  decisions: await dataSource.query('SELECT * FROM decisions ORDER BY tenant_id, height'),
  approvals: await dataSource.query('SELECT * FROM approvals ORDER BY tenant_id, height'),
  executions: await dataSource.query('SELECT * FROM executions ORDER BY tenant_id, execution_id'),
});

const openDatabase = async () => {
  const database = await createTestDatabase(migrate);
  const dataSource = await createDataSource(database.url, 4).initialize();
  return {
    url: database.url,
    dataSource,
    projection: new ProposalProjection(dataSource),
    [Symbol.asyncDispose]: async () => {
      await dataSource.destroy();
      await database[Symbol.asyncDispose]();
    },
  };
};

describe('ProposalProjection on a fresh PostgreSQL database', () => {
  it('applies a tenant’s events in order, moves its head and reports each proposal changed', async () => {
    await using db = await openDatabase();
    const ledger = ledgerOf('tenant-a');
    ledger.decide('prop_1', 'REQUIRE_HUMAN');
    ledger.publishPolicy();
    ledger.approve('prop_1');

    const result = await db.projection.apply(ledger.events);

    expect(result.outcomes).toEqual(['applied', 'applied', 'applied']);
    expect(result.changed).toEqual([{ tenantId: 'tenant-a', proposalId: 'prop_1', lifecycle: 'APPROVED' }]);
    const row = await new ProposalReadModel(db.dataSource).find('tenant-a', 'prop_1');
    expect(row).toMatchObject({
      lifecycle: 'APPROVED',
      status: 'REQUIRE_HUMAN',
      agentId: 'agent-7',
      lastHeight: 3,
      decidedAt: AT,
      updatedAt: '2026-03-15T10:05:00.000Z',
      history: [
        { type: 'DecisionRecorded', height: 1, recordedAt: AT },
        { type: 'ProposalApproved', height: 3, recordedAt: '2026-03-15T10:05:00.000Z', by: { kind: 'key', id: 'key_approver' }, reason: 'ok' },
      ],
    });
    expect((await snapshot(db.dataSource)).heads).toEqual([{ tenant_id: 'tenant-a', height: 3, hash: 'tenant-a-3' }]);
  });

  it('changes nothing when events it applied are delivered again', async () => {
    await using db = await openDatabase();
    const ledger = ledgerOf('tenant-a');
    ledger.decide('prop_1', 'REQUIRE_HUMAN');
    ledger.decide('prop_2', 'ALLOW');
    ledger.approve('prop_1');
    await db.projection.apply(ledger.events);
    const before = await snapshot(db.dataSource);

    const again = await db.projection.apply([ledger.events[2]!, ledger.events[0]!, ledger.events[1]!, ledger.events[2]!]);

    expect(again).toEqual({ outcomes: ['duplicate', 'duplicate', 'duplicate', 'duplicate'], changed: [] });
    expect(await snapshot(db.dataSource)).toEqual(before);
  });

  it('leaves an event whose predecessor is not applied yet for later, and applies other tenants’ events of the batch', async () => {
    await using db = await openDatabase();
    const acme = ledgerOf('tenant-a');
    acme.decide('prop_a1', 'REQUIRE_HUMAN');
    acme.approve('prop_a1');
    acme.decide('prop_a2', 'ALLOW');
    const globex = ledgerOf('tenant-b');
    globex.decide('prop_b1', 'DENY');

    const early = await db.projection.apply([acme.events[1]!, globex.events[0]!, acme.events[2]!]);

    expect(early.outcomes).toEqual(['ahead', 'applied', 'ahead']);
    expect(early.changed).toEqual([{ tenantId: 'tenant-b', proposalId: 'prop_b1', lifecycle: 'DENIED' }]);
    // a tenant with nothing applied keeps no head, exactly as a rebuild would leave it
    expect((await snapshot(db.dataSource)).heads).toEqual([{ tenant_id: 'tenant-b', height: 1, hash: 'tenant-b-1' }]);

    const rest = await db.projection.apply([acme.events[2]!, acme.events[0]!, acme.events[1]!]);

    expect(rest.outcomes).toEqual(['applied', 'applied', 'applied']);
    expect((await new ProposalReadModel(db.dataSource).find('tenant-a', 'prop_a1'))?.lifecycle).toBe('APPROVED');
  });

  it.each([
    ['a proposal row, after others were written', 'proposals', "NEW.proposal_id = 'prop_poison'"],
    ['the tenant head, after the rows were written', 'ledger_projection_heads', 'NEW.height > 1'],
    ['a raw event, after the proposals were written', 'ledger_events', 'NEW.height > 2'],
  ])('applies all of a batch or nothing: when PostgreSQL refuses %s, rows and heads stay as they were', async (_name, table, condition) => {
    await using db = await openDatabase();
    const ledger = ledgerOf('tenant-a');
    ledger.decide('prop_1', 'REQUIRE_HUMAN');
    await db.projection.apply(ledger.events);
    const before = await snapshot(db.dataSource);
    ledger.decide('prop_2', 'ALLOW');
    ledger.decide('prop_poison', 'ALLOW');
    ledger.approve('prop_1');
    await db.dataSource.query(`
      CREATE FUNCTION simulate_failure() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF ${condition} THEN RAISE EXCEPTION 'simulated failure'; END IF;
        RETURN NEW;
      END $$`);
    await db.dataSource.query(`CREATE TRIGGER simulate_failure BEFORE INSERT OR UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION simulate_failure()`);

    await expect(db.projection.apply(ledger.events.slice(1))).rejects.toThrow(/simulated failure/);

    expect(await snapshot(db.dataSource)).toEqual(before);
    await db.dataSource.query(`DROP TRIGGER simulate_failure ON ${table}`);
    expect((await db.projection.apply(ledger.events.slice(1))).outcomes).toEqual(['applied', 'applied', 'applied']);
    expect((await snapshot(db.dataSource)).heads).toEqual([{ tenant_id: 'tenant-a', height: 4, hash: 'tenant-a-4' }]);
  });

  it('keeps each tenant in order when two projectors apply overlapping batches at the same time', async () => {
    await using db = await openDatabase();
    const other = await createDataSource(db.url, 4).initialize();
    try {
      const second = new ProposalProjection(other);
      const ledgers = ['tenant-a', 'tenant-b', 'tenant-c'].map((tenantId) => {
        const ledger = ledgerOf(tenantId);
        for (let index = 0; index < 10; index += 1) {
          ledger.decide(`prop_${tenantId}_${index}`, 'REQUIRE_HUMAN');
          ledger.approve(`prop_${tenantId}_${index}`);
        }
        return ledger;
      });
      const all = ledgers.flatMap((ledger) => ledger.events);
      const pending = new Set(all);
      // Each round both projectors get a random half of what is left, as competing consumers would.
      for (let round = 0; pending.size > 0 && round < 200; round += 1) {
        const shuffled = [...pending].sort(() => Math.random() - 0.5);
        const half = Math.ceil(shuffled.length / 2);
        const batches = [shuffled.slice(0, half), shuffled.slice(half)];
        const results = await Promise.all([db.projection.apply(batches[0]!), second.apply(batches[1]!)]);
        results.forEach((result, which) =>
          result.outcomes.forEach((outcome, index) => {
            if (outcome !== 'ahead') pending.delete(batches[which]![index]!);
          }),
        );
      }

      expect(pending.size).toBe(0);
      const { proposals, heads } = await snapshot(db.dataSource);
      expect(heads.map((head: { height: number }) => head.height)).toEqual([20, 20, 20]);
      expect(proposals).toHaveLength(30);
      expect(proposals.every((row: { lifecycle: string; history: unknown[] }) => row.lifecycle === 'APPROVED' && row.history.length === 2)).toBe(true);
    } finally {
      await other.destroy();
    }
  });

  it('rebuilds tables equal to the ones applied live, out of order and with redeliveries', async () => {
    await using db = await openDatabase();
    const acme = ledgerOf('tenant-a');
    const globex = ledgerOf('tenant-b');
    acme.decide('prop_a1', 'REQUIRE_HUMAN');
    globex.decide('prop_b1', 'HELD_FOR_VETO');
    acme.publishPolicy();
    acme.approve('prop_a1');
    acme.decide('prop_a2', 'DENY');
    const stream = [acme.events[0]!, globex.events[0]!, acme.events[1]!, acme.events[2]!, acme.events[3]!];
    await db.projection.apply([stream[3]!, stream[1]!]);
    await db.projection.apply([stream[0]!, stream[3]!, stream[2]!]);
    await db.projection.apply([stream[3]!, stream[4]!, stream[0]!]);
    const live = await snapshot(db.dataSource);

    const summary = await db.projection.rebuild(async function* () {
      yield* stream;
    });

    expect(summary).toEqual({ events: 5, proposals: 3, decisions: 3, approvals: 1, executions: 0, tenants: 2 });
    expect(await snapshot(db.dataSource)).toEqual(live);
  });

  it('refuses to rebuild from a stream with a gap, and keeps the tables as they were', async () => {
    await using db = await openDatabase();
    const ledger = ledgerOf('tenant-a');
    ledger.decide('prop_1', 'ALLOW');
    ledger.decide('prop_2', 'ALLOW');
    await db.projection.apply(ledger.events);
    const before = await snapshot(db.dataSource);

    await expect(
      db.projection.rebuild(async function* () {
        yield ledger.events[1]!;
      }),
    ).rejects.toThrow(/does not follow/);
    expect(await snapshot(db.dataSource)).toEqual(before);
  });
});

describe('ProposalReadModel', () => {
  it('lists one tenant’s proposals newest first, by lifecycle, a page at a time', async () => {
    await using db = await openDatabase();
    const acme = ledgerOf('tenant-a');
    acme.decide('prop_1', 'REQUIRE_HUMAN', '2026-03-15T10:00:01.000Z');
    acme.decide('prop_2', 'ALLOW', '2026-03-15T10:00:02.000Z');
    acme.decide('prop_3', 'HELD_FOR_VETO', '2026-03-15T10:00:03.000Z');
    acme.decide('prop_4', 'REQUIRE_HUMAN', '2026-03-15T10:00:03.000Z');
    const globex = ledgerOf('tenant-b');
    globex.decide('prop_9', 'REQUIRE_HUMAN', '2026-03-15T10:00:04.000Z');
    await db.projection.apply([...acme.events, ...globex.events]);
    const model = new ProposalReadModel(db.dataSource);

    const open = await model.list('tenant-a', { lifecycles: ['PENDING_APPROVAL', 'HELD_FOR_VETO'], limit: 10 });
    const first = await model.list('tenant-a', { limit: 2 });
    const second = await model.list('tenant-a', { limit: 2, before: { decidedAt: first[1]!.decidedAt, proposalId: first[1]!.proposalId } });
    const beforeTime = await model.list('tenant-a', { limit: 10, before: { decidedAt: '2026-03-15T10:00:03.000Z' } });

    expect(open.map((row) => row.proposalId)).toEqual(['prop_4', 'prop_3', 'prop_1']);
    expect(first.map((row) => row.proposalId)).toEqual(['prop_4', 'prop_3']);
    expect(second.map((row) => row.proposalId)).toEqual(['prop_2', 'prop_1']);
    expect(beforeTime.map((row) => row.proposalId)).toEqual(['prop_2', 'prop_1']);
    expect(await model.find('tenant-a', 'prop_9')).toBeUndefined();
    expect(await model.find('tenant-b', 'prop_9')).toMatchObject({ proposalId: 'prop_9', lifecycle: 'PENDING_APPROVAL' });
  });
});
