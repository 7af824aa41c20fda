import { jetstreamManager } from '@nats-io/jetstream';
import type { DecisionStatus, LedgerEvent } from '@halm/contracts';
import { chain, type EventDraft } from '@halm/domain';
import { connectNats, ensureLedgerStream, LedgerStore, readWholeLedger } from '@halm/messaging';
import { createDataSource, migrate, ProposalProjection, type ProjectionResult } from '@halm/persistence';
import { Metrics } from '@halm/platform';
import { createTestDatabase, eventually, openTestNats, testNatsUrl, type TestDatabase, type TestNats } from '@halm/testing';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { PROJECTIONS_CONSUMER, ProjectLedgerEventsHandler } from './project-ledger-events.handler';

const AT = '2026-03-15T10:00:00.000Z';

const decision = (tenantId: string, proposalId: string, status: DecisionStatus): EventDraft => ({
  tenantId,
  eventId: `${proposalId}.decision`,
  type: 'DecisionRecorded',
  recordedAt: AT,
  data: {
    proposal: { proposalId, tenantId, type: 'task:create', payload: { title: proposalId }, context: {}, submittedAt: AT },
    decision: {
      proposalId,
      status,
      allowed: status === 'ALLOW',
      reasons: ['r'],
      constraints: {},
      vetoDeadline: null,
      humanApprovalRequired: status === 'REQUIRE_HUMAN',
      decidedAt: AT,
      policy: { version: 1, hash: 'h' },
      matchedRules: [],
      stateRead: {},
    },
  },
});

const approval = (tenantId: string, proposalId: string): EventDraft => ({
  tenantId,
  eventId: `${proposalId}.approved`,
  type: 'ProposalApproved',
  recordedAt: '2026-03-15T10:05:00.000Z',
  data: { proposalId, by: { kind: 'key', id: 'key_approver' }, reason: 'ok' },
});

/** Appends drafts in order, each tenant's chained onto its head, as the ledger service does. */
const append = async (nats: TestNats, drafts: EventDraft[]): Promise<LedgerEvent[]> => {
  const store = await LedgerStore.open(nats.connection, nats.topology);
  const appended: LedgerEvent[] = [];
  for (const draft of drafts) {
    const head = await store.head(draft.tenantId);
    const event = chain(head, draft);
    await store.append(event, head.sequence, `${draft.tenantId}:${draft.eventId}`);
    appended.push(event);
  }
  return appended;
};

/** Three tenants, each with `count` proposals waiting for a human and approved, interleaved in the stream. */
const busyHistory = (count: number): EventDraft[] =>
  Array.from({ length: count }, (_, index) =>
    ['tenant-a', 'tenant-b', 'tenant-c'].flatMap((tenantId) => [decision(tenantId, `prop_${tenantId}_${index}`, 'REQUIRE_HUMAN'), approval(tenantId, `prop_${tenantId}_${index}`)]),
  ).flat();

const snapshot = async (dataSource: DataSource) => ({
  proposals: await dataSource.query('SELECT * FROM proposals ORDER BY proposal_id'),
  heads: await dataSource.query('SELECT * FROM ledger_projection_heads ORDER BY tenant_id'),
  events: await dataSource.query('SELECT * FROM ledger_events ORDER BY tenant_id, height'),
  decisions: await dataSource.query('SELECT * FROM decisions ORDER BY tenant_id, height'),
  approvals: await dataSource.query('SELECT * FROM approvals ORDER BY tenant_id, height'),
});

const outcomes = async (metrics: Metrics): Promise<Record<string, number>> =>
  Object.fromEntries((await metrics.projectedEvents.get()).values.map((value) => [String(value.labels['outcome']), value.value]));

const sumOf = async (instances: { metrics: Metrics }[], outcome: string): Promise<number> =>
  (await Promise.all(instances.map(async (instance) => (await outcomes(instance.metrics))[outcome] ?? 0))).reduce((a, b) => a + b, 0);

/** A ledger instance's projector: its own NATS connection, PostgreSQL pool and metrics, as a separate process would have. */
const projector = async (nats: TestNats, database: TestDatabase, name: string, projectionOf = (dataSource: DataSource) => new ProposalProjection(dataSource)) => {
  const connection = await connectNats(testNatsUrl(), name);
  const dataSource = await createDataSource(database.url, 4).initialize();
  const metrics = new Metrics(name);
  const handler = new ProjectLedgerEventsHandler(connection, nats.topology, projectionOf(dataSource), metrics, pino({ level: 'silent' }));
  await handler.start({ maxBatch: 5, aheadRetryMs: 50, failedRetryMs: 100 });
  return {
    handler,
    metrics,
    dataSource,
    [Symbol.asyncDispose]: async () => {
      await handler.stop();
      await connection.close();
      await dataSource.destroy();
    },
  };
};

/** Holds back every batch that holds a tenant's first event, so another instance gets the later ones first. */
class FirstEventsLateProjection extends ProposalProjection {
  override async apply(events: readonly LedgerEvent[]): Promise<ProjectionResult> {
    if (events.some((event) => event.height === 1)) await new Promise((resolve) => setTimeout(resolve, 400));
    return super.apply(events);
  }
}

const openLedgerNats = () => openTestNats(async (connection, names) => ensureLedgerStream(await jetstreamManager(connection), names));

describe('the ledger’s projector on the real NATS and PostgreSQL', () => {
  it('projects what the ledger records and announces each proposal it changed', async () => {
    await using nats = await openLedgerNats();
    await using database = await createTestDatabase(migrate);
    const announced: unknown[] = [];
    nats.connection.subscribe(nats.topology.proposalUpdatedSubject('tenant-a'), {
      callback: (_error, message) => {
        announced.push(message.json());
      },
    });
    await nats.connection.flush();
    await using ledger = await projector(nats, database, 'ledger-1');

    await append(nats, [decision('tenant-a', 'prop_1', 'REQUIRE_HUMAN')]);
    await eventually(async () => (announced.length === 1 ? true : undefined), 10_000, 'the first announcement');
    await append(nats, [approval('tenant-a', 'prop_1')]);
    await eventually(async () => (announced.length === 2 ? true : undefined), 10_000, 'the second announcement');

    expect(announced).toEqual([
      { proposalId: 'prop_1', lifecycle: 'PENDING_APPROVAL' },
      { proposalId: 'prop_1', lifecycle: 'APPROVED' },
    ]);
    const [row] = await ledger.dataSource.query(`SELECT lifecycle, last_height FROM proposals WHERE proposal_id = 'prop_1'`);
    expect(row).toEqual({ lifecycle: 'APPROVED', last_height: 2 });
    const consumer = await (await jetstreamManager(nats.connection)).consumers.info(nats.topology.ledgerStream, PROJECTIONS_CONSUMER);
    expect(consumer.config).toMatchObject({ durable_name: PROJECTIONS_CONSUMER, ack_policy: 'explicit', ack_wait: 30_000_000_000, max_deliver: -1 });
  });

  it('changes nothing when the stream is delivered all over again', async () => {
    await using nats = await openLedgerNats();
    await using database = await createTestDatabase(migrate);
    const events = await append(nats, busyHistory(4));
    const dataSource = await createDataSource(database.url, 2).initialize();
    try {
      {
        await using first = await projector(nats, database, 'ledger-1');
        await eventually(async () => ((await sumOf([first], 'applied')) === events.length ? true : undefined), 20_000, 'every event applied');
      }
      const before = await snapshot(dataSource);
      // A new consumer starts from the first event again, as after a lost position.
      await (await jetstreamManager(nats.connection)).consumers.delete(nats.topology.ledgerStream, PROJECTIONS_CONSUMER);

      await using again = await projector(nats, database, 'ledger-1');
      await eventually(async () => ((await sumOf([again], 'duplicate')) === events.length ? true : undefined), 20_000, 'every event delivered again');

      expect(await outcomes(again.metrics)).toEqual({ duplicate: events.length });
      expect(await snapshot(dataSource)).toEqual(before);
    } finally {
      await dataSource.destroy();
    }
  });

  it('ends in the right state when two instances receive a tenant’s events out of order', async () => {
    await using nats = await openLedgerNats();
    await using database = await createTestDatabase(migrate);
    const events = await append(nats, busyHistory(10));
    await using slow = await projector(nats, database, 'ledger-1', (dataSource) => new FirstEventsLateProjection(dataSource));
    await using fast = await projector(nats, database, 'ledger-2');

    await eventually(async () => ((await sumOf([slow, fast], 'applied')) === events.length ? true : undefined), 30_000, 'every event applied once');

    const { proposals, heads } = await snapshot(fast.dataSource);
    expect(heads.map((head: { tenant_id: string; height: number }) => [head.tenant_id, head.height])).toEqual([
      ['tenant-a', 20],
      ['tenant-b', 20],
      ['tenant-c', 20],
    ]);
    expect(heads.map((head: { hash: string }) => head.hash)).toEqual(['tenant-a', 'tenant-b', 'tenant-c'].map((tenantId) => events.filter((event) => event.tenantId === tenantId).at(-1)?.hash));
    expect(proposals).toHaveLength(30);
    for (const row of proposals as { lifecycle: string; history: { type: string; height: number }[] }[]) {
      expect(row.lifecycle).toBe('APPROVED');
      expect(row.history.map((entry) => entry.type)).toEqual(['DecisionRecorded', 'ProposalApproved']);
      expect(row.history[1]!.height).toBe(row.history[0]!.height + 1);
    }
    // The events that came before their predecessor were handed back, not applied out of order.
    expect(await sumOf([slow, fast], 'ahead')).toBeGreaterThan(0);
  });

  it('commits nothing of a batch PostgreSQL refuses, and catches up once it accepts again', async () => {
    await using nats = await openLedgerNats();
    await using database = await createTestDatabase(migrate);
    const admin = await createDataSource(database.url, 2).initialize();
    try {
      await admin.query(`CREATE FUNCTION simulate_failure() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated failure'; END $$`);
      await admin.query('CREATE TRIGGER simulate_failure BEFORE UPDATE ON ledger_projection_heads FOR EACH ROW EXECUTE FUNCTION simulate_failure()');
      const events = await append(nats, busyHistory(2));
      await using ledger = await projector(nats, database, 'ledger-1');

      await eventually(async () => ((await sumOf([ledger], 'failed')) >= events.length ? true : undefined), 10_000, 'failed batches');
      expect(await snapshot(admin)).toEqual({ proposals: [], heads: [], events: [], decisions: [], approvals: [] });

      await admin.query('DROP TRIGGER simulate_failure ON ledger_projection_heads');
      await eventually(async () => ((await sumOf([ledger], 'applied')) === events.length ? true : undefined), 20_000, 'every event applied');
      const { proposals, heads } = await snapshot(admin);
      expect(proposals).toHaveLength(6);
      expect(heads.map((head: { height: number }) => head.height)).toEqual([4, 4, 4]);
    } finally {
      await admin.destroy();
    }
  });

  it('rebuilds, while the projectors keep running, tables equal to the live ones', async () => {
    await using nats = await openLedgerNats();
    await using database = await createTestDatabase(migrate);
    const events = await append(nats, busyHistory(6));
    await using first = await projector(nats, database, 'ledger-1', (dataSource) => new FirstEventsLateProjection(dataSource));
    await using second = await projector(nats, database, 'ledger-2');
    await eventually(async () => ((await sumOf([first, second], 'applied')) === events.length ? true : undefined), 30_000, 'every event applied');
    const live = await snapshot(first.dataSource);

    const summary = await new ProposalProjection(second.dataSource).rebuild(() => readWholeLedger(nats.connection, nats.topology));

    expect(summary).toEqual({ events: events.length, proposals: 18, decisions: 18, approvals: 18, executions: 0, tenants: 3 });
    expect(await snapshot(first.dataSource)).toEqual(live);
    const later = await append(nats, [decision('tenant-a', 'prop_after', 'ALLOW')]);
    await eventually(
      async () => ((await first.dataSource.query(`SELECT 1 FROM proposals WHERE proposal_id = 'prop_after'`)).length === 1 ? true : undefined),
      10_000,
      'the event after the rebuild projected',
    );
    expect((await snapshot(first.dataSource)).heads[0]).toEqual({ tenant_id: 'tenant-a', height: later[0]!.height, hash: later[0]!.hash });
  });
});
