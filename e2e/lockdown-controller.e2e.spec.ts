import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type {
  AnomalyKind,
  AnomalySeverity,
  EngageLockdownReply,
  EngageLockdownRequest,
  LedgerEvent,
  LockdownStatusReply,
  ReleaseLockdownReply,
  ReleaseLockdownRequest,
} from '@halm/contracts';
import { AnomalyReporter, GLOBAL_LOCKDOWN_KEY, LedgerStore, LockdownSwitch, RpcClient, tenantLockdownKey } from '@halm/messaging';
import { eventually, repositoryRoot, testNatsUrl } from '@halm/testing';
import pino from 'pino';
import { startE2eStack, type E2eStack } from './stack';

const ADMIN = { kind: 'key', id: 'key_admin' } as const;
const EXECUTOR = { kind: 'kernel', id: 'executor' } as const;

/** What the controller's tests need of a running stack: its requests, the ledger, the bucket and a way to record anomalies. */
const lockdownClient = (halm: E2eStack) => {
  const rpc = new RpcClient(halm.nats.connection);
  const { topology } = halm.nats;
  const reporter = new AnomalyReporter(rpc, topology, pino({ level: 'silent' }));
  return {
    engage: (request: EngageLockdownRequest) => rpc.request<EngageLockdownRequest, EngageLockdownReply>(topology.lockdownEngageSubject, request, 30_000),
    release: (request: ReleaseLockdownRequest) => rpc.request<ReleaseLockdownRequest, ReleaseLockdownReply>(topology.lockdownReleaseSubject, request, 30_000),
    status: (tenantId?: string) => rpc.request<{ tenantId?: string }, LockdownStatusReply>(topology.lockdownStatusSubject, tenantId ? { tenantId } : {}, 5_000),
    ledger: async (tenantId: string): Promise<LedgerEvent[]> => (await LedgerStore.open(halm.nats.connection, topology)).read(tenantId),
    bucket: async (key: string) => (await (await LockdownSwitch.open(halm.nats.connection, topology)).read(key))?.record ?? null,
    anomaly: async (tenantId: string, kind: AnomalyKind, severity: AnomalySeverity = 'critical') => {
      const reply = await reporter.report(tenantId, kind, severity, { tokenId: 'jti_test' }, EXECUTOR);
      if (!reply) throw new Error('the anomaly was not recorded');
      return reply;
    },
    /** Until every controller instance has settled every ledger event up to `sequence`. */
    settled: async (sequence: number) => {
      const manager = await jetstreamManager(halm.nats.connection);
      await eventually(async () => {
        const info = await manager.consumers.info(topology.ledgerStream, 'lockdown-controller--anomalies');
        return info.ack_floor.stream_seq >= sequence && info.num_ack_pending === 0 ? true : undefined;
      }, 20_000, `the controller to settle sequence ${sequence}`);
    },
  };
};

const typesOf = (events: LedgerEvent[]) => events.map((event) => event.type);
const lockdownEvents = (events: LedgerEvent[]) => events.filter((event) => event.type === 'LockdownEngaged' || event.type === 'LockdownReleased');

describe('the lockdown controller, two instances on one ledger', () => {
  let halm: E2eStack;
  let client: ReturnType<typeof lockdownClient>;

  beforeAll(async () => {
    halm = await startE2eStack(['ledger', 'lockdown-controller', 'lockdown-controller']);
    client = lockdownClient(halm);
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
  });

  it('engages a tenant lockdown by hand: the bucket says so and the tenant’s ledger records it; a release with a reason clears both', async () => {
    const { tenantId } = await halm.createTenant('acme');

    const engaged = await client.engage({ scope: 'tenant', tenantId, trigger: 'MANUAL', reason: 'suspicious payments', by: ADMIN });

    expect(engaged).toMatchObject({ engaged: true, tenants: 1, lockdown: { scope: 'tenant', tenantId, trigger: 'MANUAL', reason: 'suspicious payments', by: ADMIN } });
    expect(await client.bucket(tenantLockdownKey(tenantId))).toEqual(engaged.lockdown);
    expect(await client.status(tenantId)).toEqual({ global: null, tenants: [engaged.lockdown] });
    const [engageEvent] = await client.ledger(tenantId);
    expect(engageEvent).toMatchObject({
      type: 'LockdownEngaged',
      eventId: `lockdown.${engaged.lockdown.lockdownId}.engaged`,
      data: { lockdownId: engaged.lockdown.lockdownId, scope: 'tenant', trigger: 'MANUAL', reason: 'suspicious payments', by: ADMIN },
    });

    const released = await client.release({ scope: 'tenant', tenantId, reason: 'false alarm, checked with finance', by: ADMIN });

    expect(released).toMatchObject({ released: true, tenants: 1, lockdown: { lockdownId: engaged.lockdown.lockdownId } });
    expect(await client.bucket(tenantLockdownKey(tenantId))).toBeNull();
    expect((await client.ledger(tenantId)).at(-1)).toMatchObject({
      type: 'LockdownReleased',
      data: { lockdownId: engaged.lockdown.lockdownId, scope: 'tenant', reason: 'false alarm, checked with finance', by: ADMIN },
    });
    expect(await client.release({ scope: 'tenant', tenantId, reason: 'again', by: ADMIN })).toEqual({ released: false, lockdown: null, tenants: 0 });
  });

  it('refuses a release without a reason and an engage with a bad scope, naming the field', async () => {
    const { tenantId } = await halm.createTenant('acme');

    await expect(client.release({ scope: 'tenant', tenantId, reason: ' ', by: ADMIN })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'reason is required' });
    await expect(client.engage({ scope: 'tenant', trigger: 'MANUAL', reason: 'x', by: ADMIN })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^tenantId/) });
    await expect(client.engage({ scope: 'planet' as 'global', trigger: 'MANUAL', reason: 'x', by: ADMIN })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^scope/) });
  });

  it('engages a global lockdown in every tenant’s ledger, and releases it in each', async () => {
    const first = await halm.createTenant('first');
    const second = await halm.createTenant('second');
    // a chain without a row in the tenants table (the sandbox, say) is reached too
    await client.anomaly('chain-only', 'REPEATED_DENIALS', 'warning');

    const engaged = await client.engage({ scope: 'global', trigger: 'MANUAL', reason: 'incident 42', by: ADMIN });
    try {
      expect(engaged).toMatchObject({ engaged: true, lockdown: { scope: 'global', tenantId: null } });
      expect(await client.bucket(GLOBAL_LOCKDOWN_KEY)).toEqual(engaged.lockdown);
      for (const tenantId of [first.tenantId, second.tenantId, 'chain-only']) {
        expect(lockdownEvents(await client.ledger(tenantId))).toMatchObject([{ type: 'LockdownEngaged', data: { lockdownId: engaged.lockdown.lockdownId, scope: 'global' } }]);
      }
      expect((await client.status(first.tenantId)).global).toEqual(engaged.lockdown);
    } finally {
      await client.release({ scope: 'global', reason: 'incident 42 closed', by: ADMIN });
    }

    expect(await client.bucket(GLOBAL_LOCKDOWN_KEY)).toBeNull();
    for (const tenantId of [first.tenantId, second.tenantId, 'chain-only']) {
      expect(typesOf(lockdownEvents(await client.ledger(tenantId)))).toEqual(['LockdownEngaged', 'LockdownReleased']);
    }
  });

  it('puts one lockdown in force when two engage the same tenant at once', async () => {
    const { tenantId } = await halm.createTenant('acme');

    const replies = await Promise.all(['first', 'second'].map((reason) => client.engage({ scope: 'tenant', tenantId, trigger: 'MANUAL', reason, by: ADMIN })));

    expect(replies.filter((reply) => reply.engaged)).toHaveLength(1);
    expect(replies[0]!.lockdown).toEqual(replies[1]!.lockdown);
    expect(typesOf(lockdownEvents(await client.ledger(tenantId)))).toEqual(['LockdownEngaged']);
    await client.release({ scope: 'tenant', tenantId, reason: 'done', by: ADMIN });
  });

  it('locks a tenant down on its third critical anomaly within five minutes, once, whichever instance counts', async () => {
    const { tenantId } = await halm.createTenant('acme');
    await client.anomaly(tenantId, 'REPLAYED_EXECUTION_TOKEN');
    await client.anomaly(tenantId, 'CROSS_TENANT_ACCESS');
    const third = await client.anomaly(tenantId, 'INVALID_EXECUTION_TOKEN');

    const lockdown = await eventually(() => client.bucket(tenantLockdownKey(tenantId)).then((record) => record ?? undefined), 20_000, 'the automatic lockdown');

    expect(lockdown).toMatchObject({ scope: 'tenant', tenantId, trigger: 'CRITICAL_ANOMALIES', by: { kind: 'kernel', id: 'lockdown-controller' } });
    await client.settled(third.sequence);
    const events = lockdownEvents(await client.ledger(tenantId));
    expect(events).toMatchObject([{ type: 'LockdownEngaged', data: { lockdownId: lockdown.lockdownId, trigger: 'CRITICAL_ANOMALIES' } }]);
    expect((events[0]!.data as { evidence: { anomalies: unknown[] } }).evidence.anomalies).toHaveLength(3);
    await client.release({ scope: 'tenant', tenantId, reason: 'tokens rotated', by: ADMIN });
  });

  it('does not lock a tenant down on two critical anomalies and a warning', async () => {
    const { tenantId } = await halm.createTenant('acme');
    await client.anomaly(tenantId, 'REPLAYED_EXECUTION_TOKEN');
    await client.anomaly(tenantId, 'REPEATED_DENIALS', 'warning');
    const last = await client.anomaly(tenantId, 'CROSS_TENANT_ACCESS');

    await client.settled(last.sequence);

    expect(await client.bucket(tenantLockdownKey(tenantId))).toBeNull();
    expect(lockdownEvents(await client.ledger(tenantId))).toEqual([]);
  });

  it('locks a tenant down at once on a budget breach at critical level', async () => {
    const { tenantId } = await halm.createTenant('acme');
    await client.anomaly(tenantId, 'BUDGET_CRITICAL');

    const lockdown = await eventually(() => client.bucket(tenantLockdownKey(tenantId)).then((record) => record ?? undefined), 20_000, 'the automatic lockdown');

    expect(lockdown).toMatchObject({ trigger: 'BUDGET_CRITICAL', tenantId });
    await client.release({ scope: 'tenant', tenantId, reason: 'budget raised', by: ADMIN });
  });

  it('does not lock a tenant down on integrity findings outside strict mode, but engages when asked with their trigger', async () => {
    const { tenantId } = await halm.createTenant('acme');
    await client.anomaly(tenantId, 'HASH_CHAIN_FAILURE');
    await client.anomaly(tenantId, 'INVARIANT_VIOLATION');
    const last = await client.anomaly(tenantId, 'HASH_CHAIN_FAILURE');
    await client.settled(last.sequence);
    expect(await client.bucket(tenantLockdownKey(tenantId))).toBeNull();

    // the integrity monitor decides strict mode itself and may ask directly
    const engaged = await client.engage({ scope: 'tenant', tenantId, trigger: 'INVARIANT_VIOLATION', reason: 'LOCKDOWN_OVERRIDES_ALL violated', by: { kind: 'kernel', id: 'integrity-monitor' }, evidence: { heights: [7] } });

    expect(engaged).toMatchObject({ engaged: true, lockdown: { trigger: 'INVARIANT_VIOLATION', evidence: { heights: [7] } } });
    await client.release({ scope: 'tenant', tenantId, reason: 'investigated', by: ADMIN });
  });

  it('starts afresh after a release: the anomalies before it do not count again', async () => {
    const { tenantId } = await halm.createTenant('acme');
    await client.anomaly(tenantId, 'REPLAYED_EXECUTION_TOKEN');
    await client.anomaly(tenantId, 'REPLAYED_EXECUTION_TOKEN');
    await client.anomaly(tenantId, 'REPLAYED_EXECUTION_TOKEN');
    await eventually(() => client.bucket(tenantLockdownKey(tenantId)).then((record) => record ?? undefined), 20_000, 'the automatic lockdown');
    await client.release({ scope: 'tenant', tenantId, reason: 'tokens rotated', by: ADMIN });

    const next = await client.anomaly(tenantId, 'REPLAYED_EXECUTION_TOKEN');
    await client.settled(next.sequence);

    expect(await client.bucket(tenantLockdownKey(tenantId))).toBeNull();
  });
});

describe('./halm lockdown against a running controller', () => {
  let halm: E2eStack;

  beforeAll(async () => {
    halm = await startE2eStack(['ledger', 'lockdown-controller']);
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
  });

  /** The built CLI, as `./halm lockdown …` runs it after building. */
  const cli = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(repositoryRoot, 'tools', 'cli', 'dist', 'main.js'), 'lockdown', ...args], {
        env: { ...process.env, NATS_URL: testNatsUrl(), HALM_NAMESPACE: halm.nats.topology.namespace },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });

  it('engages, reports and releases a tenant lockdown, with exit codes scripts can rely on', async () => {
    const { tenantId } = await halm.createTenant('acme');

    expect(await cli('status', '--tenant', tenantId)).toMatchObject({ code: 0, stdout: `no lockdown in force for tenant ${tenantId}\n` });
    const engaged = await cli('engage', '--tenant', tenantId, '--reason', 'key leaked', '--json');
    expect(engaged.code).toBe(0);
    expect(JSON.parse(engaged.stdout)).toMatchObject({ engaged: true, tenants: 1, lockdown: { tenantId, reason: 'key leaked', by: { kind: 'key', id: expect.stringMatching(/^cli:/) } } });

    const status = await cli('status', '--tenant', tenantId, '--json');
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ active: true, global: null, tenants: [{ tenantId, reason: 'key leaked' }] });

    const released = await cli('release', '--tenant', tenantId, '--reason', 'key rotated');
    expect(released).toMatchObject({ code: 0, stdout: expect.stringMatching(/^released: lockdown of tenant/) });
    expect((await cli('status', '--tenant', tenantId)).code).toBe(0);
    expect(typesOf(lockdownEvents(await lockdownClient(halm).ledger(tenantId)))).toEqual(['LockdownEngaged', 'LockdownReleased']);
  });

  it('refuses a change without a reason before asking anything', async () => {
    expect(await cli('engage', '--global')).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs --reason/) });
  });
});

describe('the lockdown controller in strict mode', () => {
  let halm: E2eStack;
  let client: ReturnType<typeof lockdownClient>;

  beforeAll(async () => {
    halm = await startE2eStack(['ledger', 'lockdown-controller'], { STRICT_MODE: 'true' });
    client = lockdownClient(halm);
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
  });

  it.each([['HASH_CHAIN_FAILURE'], ['INVARIANT_VIOLATION']] as const)('locks a tenant down on one %s anomaly', async (kind) => {
    const { tenantId } = await halm.createTenant('acme');
    await client.anomaly(tenantId, kind);

    const lockdown = await eventually(() => client.bucket(tenantLockdownKey(tenantId)).then((record) => record ?? undefined), 20_000, 'the automatic lockdown');

    expect(lockdown).toMatchObject({ trigger: kind, tenantId });
    expect(lockdownEvents(await client.ledger(tenantId))).toMatchObject([{ type: 'LockdownEngaged', data: { trigger: kind } }]);
  });
});
