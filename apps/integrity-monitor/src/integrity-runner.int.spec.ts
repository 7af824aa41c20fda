import { generateKeyPairSync } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { LedgerEvent, LedgerEventType } from '@halm/contracts';
import { chain, EMPTY_HEAD, eventLeafHash, headOf, merkleRoot, publicKeyId, publicKeyOf, signCheckpoint, type ChainHead } from '@halm/domain';
import { AnomalyReporter, ensureCheckpointStream, ensureLedgerStream, LockdownSwitch, RpcClient, tenantLockdownKey } from '@halm/messaging';
import { createDataSource, IntegrityReadModel, IntegrityStore, migrate } from '@halm/persistence';
import { createTestDatabase, openTestNats, type TestDatabase, type TestNats } from '@halm/testing';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { IncidentReporter, lockdownIdOf } from './incident-reporter';
import { IntegrityMonitorSettings } from './integrity-monitor.settings';
import { IntegrityRunner, type RunRequest } from './integrity-runner';
import { LedgerSource } from './ledger-source';

const logger = pino({ level: 'silent' });
const SCHEDULE: RunRequest = { trigger: 'schedule', tenantId: null, full: false, requestedBy: null };
const ASKED: RunRequest = { trigger: 'request', tenantId: null, full: false, requestedBy: { kind: 'key', id: 'operator' } };

/** A tenant's chain published straight onto its subject, as the stream holds it (no ledger service runs in these tests). */
class Chain {
  private head: ChainHead = EMPTY_HEAD;
  readonly events: LedgerEvent[] = [];

  constructor(
    private readonly nats: TestNats,
    readonly tenantId: string,
  ) {}

  async add(type: LedgerEventType, data: unknown): Promise<LedgerEvent> {
    const event = chain(this.head, { tenantId: this.tenantId, eventId: `e${this.events.length + 1}`, type, recordedAt: new Date(Date.UTC(2026, 2, 15, 10, 0, this.events.length)).toISOString(), data });
    await this.publish(event);
    this.events.push(event);
    this.head = headOf(event);
    return event;
  }

  /** Anything at all onto the tenant's subject, bypassing every check. */
  async publish(body: unknown): Promise<void> {
    await jetstream(this.nats.connection).publish(this.nats.topology.ledgerSubject(this.tenantId), typeof body === 'string' ? body : JSON.stringify(body));
  }

  async decisions(count: number): Promise<void> {
    for (let index = 0; index < count; index += 1) {
      const proposalId = `prop_${this.tenantId}_${this.events.length}`;
      await this.add('DecisionRecorded', {
        proposal: { proposalId, tenantId: this.tenantId, type: 'task:create', payload: {}, context: {}, submittedAt: '2026-03-15T10:00:00.000Z' },
        decision: { proposalId, status: 'DENY', allowed: false, reasons: [], constraints: {}, vetoDeadline: null, humanApprovalRequired: false, decidedAt: '2026-03-15T10:00:00.000Z', policy: { version: 1, hash: 'p' }, matchedRules: [], stateRead: {} },
      });
    }
  }
}

describe('IntegrityRunner against the real NATS and PostgreSQL', () => {
  let nats: TestNats;
  let database: TestDatabase;
  let dataSource: DataSource;

  const monitor = async (name: string, settings: Partial<IntegrityMonitorSettings> = {}) => {
    const resolved = Object.assign(new IntegrityMonitorSettings(), { APPEND_TIMEOUT_MS: 200, INTEGRITY_LOCK_WAIT_MS: 20_000, ...settings });
    const rpc = new RpcClient(nats.connection);
    const store = new IntegrityStore(dataSource);
    const reporter = new IncidentReporter(store, new AnomalyReporter(rpc, nats.topology, logger, { timeoutMs: 200 }), await LockdownSwitch.open(nats.connection, nats.topology), rpc, nats.topology, resolved, logger);
    return new IntegrityRunner(store, await LedgerSource.open(nats.connection, nats.topology), reporter, rpc, nats.topology, name, resolved, logger);
  };

  beforeEach(async () => {
    nats = await openTestNats(async (connection, names) => {
      const manager = await jetstreamManager(connection);
      await ensureLedgerStream(manager, names);
      await ensureCheckpointStream(manager, names);
    });
    database = await createTestDatabase(migrate);
    dataSource = await createDataSource(database.url, 8).initialize();
  });

  afterEach(async () => {
    await dataSource.destroy();
    await database[Symbol.asyncDispose]();
    await nats[Symbol.asyncDispose]();
  });

  it('examines a tenant\'s history once, then only the events stored since, and keeps the state between runs', async () => {
    const tenant = new Chain(nats, 'ten_a');
    await tenant.decisions(30);
    const runner = await monitor('monitor-1');

    const first = await runner.run(ASKED);
    await tenant.decisions(5);
    const second = await runner.run(ASKED);

    expect(first.tenants).toEqual([expect.objectContaining({ tenantId: 'ten_a', checked: true, height: 30, eventsExamined: 30, incidentsOpened: [] })]);
    expect(first.run.results.map((result) => [result.invariant, result.passing])).toEqual([
      ['NO_SIDE_EFFECT_WITHOUT_ALLOW', true],
      ['EXECUTION_TOKEN_REQUIRED', true],
      ['DECISION_HASH_VALID', true],
      ['HASH_CHAIN_CONTINUOUS', true],
      ['LOCKDOWN_OVERRIDES_ALL', true],
      ['TENANT_ISOLATION_ENFORCED', true],
    ]);
    expect(second.tenants[0]).toMatchObject({ height: 35, eventsExamined: 5 });
    const runs = await new IntegrityReadModel(dataSource).runsOfTenant('ten_a', 10);
    expect(runs.map((run) => run.eventsExamined)).toEqual([5, 30]);
  });

  it('judges a later execution by the proposal facts an earlier run stored, also past a long history read through a consumer', async () => {
    const tenant = new Chain(nats, 'ten_a');
    await tenant.decisions(100);
    const proposal = (proposalId: string, status: string) => ({
      proposal: { proposalId, tenantId: 'ten_a', type: 'task:create', payload: {}, context: {}, submittedAt: '2026-03-15T10:00:00.000Z' },
      decision: { proposalId, status, allowed: status === 'ALLOW', reasons: [], constraints: {}, vetoDeadline: null, humanApprovalRequired: false, decidedAt: '2026-03-15T10:00:00.000Z', policy: { version: 1, hash: 'p' }, matchedRules: [], stateRead: {} },
    });
    const allowed = await tenant.add('DecisionRecorded', proposal('prop_ok', 'ALLOW'));
    const runner = await monitor('monitor-1');
    expect((await runner.run(ASKED)).tenants[0]).toMatchObject({ eventsExamined: 101, incidentsOpened: [] });
    const start = (executionId: string, tokenId: string) => ({
      executionId, proposalId: 'prop_ok', idempotencyKey: executionId, actionType: 'task:create', actionDigest: 'd', decisionHash: allowed.hash,
      tokenId, tokenKeyId: 'kid', performer: 'agent', connector: null, executorId: 'x', requestedBy: { kind: 'key', id: 'k' },
    });

    await tenant.add('ExecutionStarted', start('exe_1', 'jti_1'));
    const honest = await runner.run(ASKED);
    await tenant.add('ExecutionStarted', start('exe_2', 'jti_2'));
    const again = await runner.run(ASKED);

    expect(honest.tenants[0]).toMatchObject({ eventsExamined: 1, incidentsOpened: [] });
    expect(again.tenants[0]).toMatchObject({ eventsExamined: 1, incidentsOpened: [expect.any(String), expect.any(String)] });
    expect(again.run.results.filter((result) => !result.passing).map((result) => result.invariant)).toEqual(['NO_SIDE_EFFECT_WITHOUT_ALLOW', 'DECISION_HASH_VALID']);
    const stored: { proposal_id: string }[] = await dataSource.query("SELECT proposal_id FROM integrity_proposals WHERE tenant_id = 'ten_a'");
    expect(stored).toEqual([]);
    const [state] = (await dataSource.query("SELECT state FROM integrity_states WHERE tenant_id = 'ten_a'")) as { state: { proposals: object } }[];
    expect(state!.state.proposals).toEqual({});
  });

  it.each([
    ['scheduled', SCHEDULE],
    ['asked for', ASKED],
  ])('lets two instances check at once without counting an event twice or opening an incident twice (%s)', async (_name, request) => {
    const tenants = ['ten_a', 'ten_b', 'ten_c', 'ten_d'].map((tenantId) => new Chain(nats, tenantId));
    for (const tenant of tenants) await tenant.decisions(40);
    await tenants[2]!.publish({ ...tenants[2]!.events[3], eventId: 'forged', height: 99 });
    const [first, second] = await Promise.all([monitor('monitor-1'), monitor('monitor-2')]);

    const replies = await Promise.all([first.run(request), second.run(request)]);

    const examined = new Map<string, number>();
    for (const view of replies.flatMap((reply) => reply.tenants)) examined.set(view.tenantId, (examined.get(view.tenantId) ?? 0) + view.eventsExamined);
    expect(Object.fromEntries(examined)).toEqual({ ten_a: 40, ten_b: 40, ten_c: 41, ten_d: 40 });
    const counted: { tenant_id: string; events: string }[] = await dataSource.query(
      "SELECT tenant_id, sum(events_examined) AS events FROM integrity_results WHERE invariant = 'HASH_CHAIN_CONTINUOUS' GROUP BY tenant_id ORDER BY tenant_id",
    );
    expect(counted.map((row) => [row.tenant_id, Number(row.events)])).toEqual([
      ['ten_a', 40],
      ['ten_b', 40],
      ['ten_c', 41],
      ['ten_d', 40],
    ]);
    const incidents = await new IntegrityReadModel(dataSource).incidents({ limit: 50 });
    expect(incidents.map((incident) => `${incident.tenantId} ${incident.invariant} ${String(incident.evidence['code'])}`).sort()).toEqual([
      'ten_c DECISION_HASH_VALID EVENT_HASH_MISMATCH',
      'ten_c HASH_CHAIN_CONTINUOUS HEIGHT_GAP',
      'ten_c HASH_CHAIN_CONTINUOUS PREV_HASH_MISMATCH',
    ]);
  });

  it('opens one incident per finding: a later run, and a full re-check, find it again and open nothing', async () => {
    const tenant = new Chain(nats, 'ten_a');
    await tenant.decisions(3);
    await tenant.publish('this is not an event');
    await tenant.decisions(2);
    const runner = await monitor('monitor-1');

    const first = await runner.run(ASKED);
    await tenant.decisions(1);
    const later = await runner.run(ASKED);
    const full = await runner.run({ ...ASKED, full: true });

    expect(first.tenants[0]!.incidentsOpened).toHaveLength(1);
    expect(later.tenants[0]).toMatchObject({ eventsExamined: 1, incidentsOpened: [] });
    expect(full.tenants[0]).toMatchObject({ eventsExamined: 7, incidentsOpened: [] });
    expect(full.run.results.find((result) => result.invariant === 'HASH_CHAIN_CONTINUOUS')).toMatchObject({ passing: false });
    const [incident] = await new IntegrityReadModel(dataSource).incidents({ tenantId: 'ten_a', limit: 10 });
    expect(incident).toMatchObject({
      incidentId: first.tenants[0]!.incidentsOpened[0],
      invariant: 'HASH_CHAIN_CONTINUOUS',
      status: 'OPEN',
      evidence: { code: 'UNDECODABLE_EVENT', events: [{ height: null, problem: 'not a ledger event: it is not JSON', sequence: 4 }] },
    });
  });

  it('catches a chain cut below a signed checkpoint, and in strict mode locks the tenant down through the bucket when no controller answers', async () => {
    const tenant = new Chain(nats, 'ten_a');
    await tenant.decisions(4);
    const key = generateKeyPairSync('ed25519');
    const rootHash = merkleRoot([...tenant.events, ...tenant.events].slice(0, 6).map(eventLeafHash)).toString('hex');
    const checkpoint = signCheckpoint({ tenantId: 'ten_a', treeSize: 6, rootHash, issuedAt: '2026-03-15T11:00:00.000Z' }, key.privateKey, publicKeyId(publicKeyOf(key.privateKey)));
    await jetstream(nats.connection).publish(nats.topology.checkpointSubject('ten_a'), JSON.stringify(checkpoint));
    const runner = await monitor('monitor-1', { STRICT_MODE: 'true' });

    const reply = await runner.run(ASKED);

    expect(reply.tenants[0]).toMatchObject({ eventsExamined: 4, incidentsOpened: [expect.any(String)], notes: [expect.stringContaining('was not checked')] });
    const [incident] = await new IntegrityReadModel(dataSource).incidents({ tenantId: 'ten_a', limit: 10 });
    expect(incident).toMatchObject({ invariant: 'HASH_CHAIN_CONTINUOUS', evidence: { code: 'CHAIN_TRUNCATED', expected: 6, actual: 4 } });
    const lockdown = await (await LockdownSwitch.open(nats.connection, nats.topology)).read(tenantLockdownKey('ten_a'));
    expect(lockdown?.record).toMatchObject({ lockdownId: lockdownIdOf(incident!.incidentId), trigger: 'HASH_CHAIN_FAILURE', by: { kind: 'kernel', id: 'integrity-monitor' } });
  });
});
