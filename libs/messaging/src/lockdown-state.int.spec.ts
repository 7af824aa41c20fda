import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { topology } from '@halm/contracts';
import { eventually, openTestNats, testNatsUrl } from '@halm/testing';
import { LockdownState, LockdownSwitch, LockdownUnknownError, type LockdownRecord, type LockdownStatus } from './lockdown-state';

const record = (overrides: Partial<LockdownRecord> = {}): LockdownRecord => ({
  lockdownId: 'lck_1',
  scope: 'tenant',
  tenantId: 'ten_a',
  trigger: 'MANUAL',
  reason: 'suspicious payments',
  by: { kind: 'key', id: 'key_admin' },
  engagedAt: '2026-03-15T10:00:00.000Z',
  evidence: {},
  ...overrides,
});

const freePort = async (): Promise<number> => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
};

/** A nats-server of this test's own, which it can stop and start again on the same port and store. */
const privateNatsServer = async () => {
  const store = await mkdtemp(join(tmpdir(), 'halm-lockdown-'));
  const port = await freePort();
  let server: ChildProcess | undefined;
  const start = async () => {
    server = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', store], { stdio: 'ignore' });
    await eventually(
      async () => {
        const probe = await connect({ servers: `127.0.0.1:${port}`, reconnect: false, timeout: 500 }).catch(() => undefined);
        await probe?.close();
        return probe ? true : undefined;
      },
      10_000,
      'the private nats-server',
    );
  };
  const stop = async () => {
    if (!server || server.exitCode !== null) return;
    const exited = once(server, 'exit');
    server.kill('SIGKILL');
    await exited;
  };
  await start();
  const dispose = async () => {
    await stop();
    await rm(store, { recursive: true, force: true });
  };
  return { url: `nats://127.0.0.1:${port}`, start, stop, [Symbol.asyncDispose]: dispose };
};

const activeWith = (lockdownId: string) => async (status: Promise<LockdownStatus>) => ((await status).lockdownId === lockdownId ? true : undefined);

describe('LockdownState and LockdownSwitch on a real NATS KV bucket', () => {
  it('reports a tenant lockdown for that tenant only, and a global one for every tenant', async () => {
    await using nats = await openTestNats();
    const state = new LockdownState(nats.connection, nats.topology);
    await state.start();
    const lockdownSwitch = await LockdownSwitch.open(nats.connection, nats.topology);
    try {
      expect(await state.check('ten_a')).toEqual({ active: false, scope: null, lockdownId: null, trigger: null, reason: null, engagedAt: null });

      await lockdownSwitch.engage(record());
      await eventually(() => activeWith('lck_1')(state.check('ten_a')), 5_000, 'the tenant lockdown');
      expect(await state.check('ten_a')).toEqual({ active: true, scope: 'tenant', lockdownId: 'lck_1', trigger: 'MANUAL', reason: 'suspicious payments', engagedAt: '2026-03-15T10:00:00.000Z' });
      expect((await state.check('ten_b')).active).toBe(false);

      await lockdownSwitch.engage(record({ lockdownId: 'lck_g', scope: 'global', tenantId: null, trigger: 'HASH_CHAIN_FAILURE', reason: 'chain broken' }));
      await eventually(() => activeWith('lck_g')(state.check('ten_b')), 5_000, 'the global lockdown');
      // the global lockdown covers every tenant, so it is the one reported even where a tenant lockdown is in force too
      expect(await state.check('ten_a')).toMatchObject({ active: true, scope: 'global', lockdownId: 'lck_g' });

      expect(await lockdownSwitch.release('global', null, 'lck_g')).toBe(true);
      await eventually(() => activeWith('lck_1')(state.check('ten_a')), 5_000, 'the global release');
      expect((await state.check('ten_b')).active).toBe(false);
    } finally {
      await state.stop();
    }
  });

  it('shows a change made through one connection on every other instance', async () => {
    await using nats = await openTestNats();
    const other = await connect({ servers: testNatsUrl() });
    const instances = [new LockdownState(nats.connection, nats.topology), new LockdownState(other, nats.topology)];
    await Promise.all(instances.map((instance) => instance.start()));
    try {
      const lockdownSwitch = await LockdownSwitch.open(nats.connection, nats.topology);
      await lockdownSwitch.engage(record());
      for (const instance of instances) await eventually(() => activeWith('lck_1')(instance.check('ten_a')), 5_000, 'the lockdown on each instance');

      await lockdownSwitch.release('tenant', 'ten_a', 'lck_1');
      for (const instance of instances) await eventually(async () => ((await instance.check('ten_a')).active ? undefined : true), 5_000, 'the release on each instance');
    } finally {
      await Promise.all(instances.map((instance) => instance.stop()));
      await other.close();
    }
  });

  it('starts with the lockdowns already in force', async () => {
    await using nats = await openTestNats();
    const lockdownSwitch = await LockdownSwitch.open(nats.connection, nats.topology);
    await lockdownSwitch.engage(record());
    await lockdownSwitch.engage(record({ lockdownId: 'lck_2', tenantId: 'ten_b' }));
    await lockdownSwitch.release('tenant', 'ten_b', 'lck_2');

    const state = new LockdownState(nats.connection, nats.topology);
    await state.start();
    try {
      expect(state.watching).toBe(true);
      expect((await state.check('ten_a')).lockdownId).toBe('lck_1');
      expect((await state.check('ten_b')).active).toBe(false);
    } finally {
      await state.stop();
    }
  });

  it('reads the bucket itself while its watch is not running', async () => {
    await using nats = await openTestNats();
    const state = new LockdownState(nats.connection, nats.topology);
    await state.start();
    await state.stop();
    expect(state.watching).toBe(false);

    const lockdownSwitch = await LockdownSwitch.open(nats.connection, nats.topology);
    await lockdownSwitch.engage(record());

    // no watch delivered this: the answer comes from reading the bucket
    expect((await state.check('ten_a')).lockdownId).toBe('lck_1');
  });

  it('fails closed: once the connection is closed, check throws LockdownUnknownError', async () => {
    await using nats = await openTestNats();
    const connection = await connect({ servers: testNatsUrl() });
    const state = new LockdownState(connection, nats.topology);
    await state.start();
    expect((await state.check('ten_a')).active).toBe(false);

    await connection.close();

    await expect(state.check('ten_a')).rejects.toBeInstanceOf(LockdownUnknownError);
    await state.stop();
  });

  it('fails closed while disconnected, and follows the bucket again once reconnected', async () => {
    await using server = await privateNatsServer();
    const connection = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const names = topology('lockdown-disconnect');
    const state = new LockdownState(connection, names, { readTimeoutMs: 300 });
    try {
      await state.start();
      await (await LockdownSwitch.open(connection, names)).engage(record());
      await eventually(() => activeWith('lck_1')(state.check('ten_a')), 5_000, 'the lockdown');

      await server.stop();

      await eventually(async () => (state.watching ? undefined : true), 10_000, 'the watch to stop counting as current');
      await expect(state.check('ten_a')).rejects.toBeInstanceOf(LockdownUnknownError);

      await server.start();

      await eventually(async () => (state.watching ? true : undefined), 20_000, 'a new watch');
      expect((await state.check('ten_a')).lockdownId).toBe('lck_1');
    } finally {
      await state.stop();
      await connection.close();
    }
  });

  it('fails closed before it was started', async () => {
    await using nats = await openTestNats();
    const state = new LockdownState(nats.connection, nats.topology);

    await expect(state.check('ten_a')).rejects.toBeInstanceOf(LockdownUnknownError);
  });

  it('puts one lockdown in force when several engage the same key at once, and a retry finds its own', async () => {
    await using nats = await openTestNats();
    const switches = await Promise.all(Array.from({ length: 4 }, () => LockdownSwitch.open(nats.connection, nats.topology)));

    const outcomes = await Promise.all(switches.map((lockdownSwitch, index) => lockdownSwitch.engage(record({ lockdownId: `lck_${index}` }))));

    const winners = outcomes.filter((outcome) => outcome.engaged);
    expect(winners).toHaveLength(1);
    expect(new Set(outcomes.map((outcome) => outcome.record.lockdownId))).toEqual(new Set([winners[0]!.record.lockdownId]));
    expect(await switches[0]!.engage(winners[0]!.record)).toEqual({ engaged: true, record: winners[0]!.record });
    expect(await switches[0]!.release('tenant', 'ten_a', 'lck_other')).toBe(false);
    expect((await switches[0]!.all()).map((entry) => entry.lockdownId)).toEqual([winners[0]!.record.lockdownId]);
  });
});
