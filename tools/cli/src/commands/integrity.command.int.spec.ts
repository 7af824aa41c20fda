import { createDataSource, IntegrityStore, migrate } from '@halm/persistence';
import { createTestDatabase, testNatsUrl, uniqueNamespace, type TestDatabase } from '@halm/testing';
import { incidents } from './incidents.command';
import { integrityStatus } from './integrity.command';

describe('./halm integrity status and ./halm incidents, from the monitor\'s record in PostgreSQL', () => {
  let database: TestDatabase;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const fail = (line: string) => {
    lines.push(`failed: ${line}`);
    return 2;
  };
  const settings = () => ({ natsUrl: testNatsUrl(), databaseUrl: database.url, namespace: uniqueNamespace() });

  beforeAll(async () => {
    database = await createTestDatabase(migrate);
  });

  afterAll(async () => {
    await database?.[Symbol.asyncDispose]();
  });

  beforeEach(() => {
    lines.length = 0;
  });

  it('says nothing passes before the first check, then names the invariant of an open incident, and lists and shows it', async () => {
    expect(await integrityStatus(settings(), { verb: 'status', tenantId: undefined, full: false, json: false }, log, fail)).toBe(1);
    expect(lines[0]).toBe('no integrity check has run yet');

    const dataSource = await createDataSource(database.url, 2).initialize();
    const store = new IntegrityStore(dataSource);
    const at = new Date('2026-03-15T10:00:00.000Z');
    await store.startRun({ runId: 'irun_1', monitorId: 'm', trigger: 'schedule', requestedBy: null, tenantId: null, full: false, intervalMs: 300_000, startedAt: at });
    const locked = await store.withTenant('ten_a', 0, (transaction) =>
      transaction.openIncidents('irun_1', at, [
        { key: 'k'.repeat(64), invariant: 'LOCKDOWN_OVERRIDES_ALL', kind: 'INVARIANT_VIOLATION', code: 'EXECUTION_DURING_LOCKDOWN', summary: 'An execution during lockdown', evidence: { events: [{ height: 7, eventId: 'e7', hash: 'ab', problem: 'during lockdown' }] } },
      ]),
    );
    await store.finishRun('irun_1', { finishedAt: at, durationMs: 5, tenantsChecked: 1, eventsExamined: 7 });
    await dataSource.destroy();
    expect(locked).toEqual({ locked: true, value: ['inc_kkkkkkkkkkkkkkkkkkkkkkkk'] });
    lines.length = 0;

    expect(await integrityStatus(settings(), { verb: 'status', tenantId: undefined, full: false, json: true }, log, fail)).toBe(1);
    expect(JSON.parse(lines.join('\n'))).toMatchObject({
      lastIntegrityCheck: '2026-03-15T10:00:00.000Z',
      invariantsPassing: false,
      hashChainValid: true,
      lockdownActive: false,
      invariants: expect.arrayContaining([{ name: 'LOCKDOWN_OVERRIDES_ALL', openIncidents: 1 }, { name: 'HASH_CHAIN_CONTINUOUS', openIncidents: 0 }]),
    });
    lines.length = 0;

    expect(await incidents(database.url, { verb: 'list', tenantId: 'ten_a', status: 'OPEN', limit: 10, json: false }, log, fail)).toBe(1);
    expect(lines).toEqual(['inc_kkkkkkkkkkkkkkkkkkkkkkkk  OPEN  2026-03-15T10:00:00.000Z  tenant ten_a  LOCKDOWN_OVERRIDES_ALL', '  An execution during lockdown']);
    lines.length = 0;
    expect(await incidents(database.url, { verb: 'list', tenantId: 'ten_b', status: undefined, limit: 10, json: false }, log, fail)).toBe(0);
    expect(await incidents(database.url, { verb: 'show', incidentId: 'inc_kkkkkkkkkkkkkkkkkkkkkkkk', json: true }, log, fail)).toBe(0);
    expect(await incidents(database.url, { verb: 'show', incidentId: 'inc_nope', json: false }, log, fail)).toBe(1);

    expect(await incidents(database.url, { verb: 'resolve', incidentId: 'inc_kkkkkkkkkkkkkkkkkkkkkkkk', reason: 'a test tenant', json: false }, log, fail, 'cli:auditor')).toBe(0);
    expect(await incidents(database.url, { verb: 'resolve', incidentId: 'inc_kkkkkkkkkkkkkkkkkkkkkkkk', reason: 'again', json: false }, log, fail)).toBe(1);
    expect(await incidents(database.url, { verb: 'list', tenantId: 'ten_a', status: undefined, limit: 10, json: false }, log, fail)).toBe(0);
    expect(await integrityStatus(settings(), { verb: 'status', tenantId: undefined, full: false, json: false }, log, fail)).toBe(0);
  });
});
