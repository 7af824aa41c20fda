/**
 * What the authorize benchmark measures, started fresh for each run on the NATS and
 * PostgreSQL of the machine: Halm's six services as separate processes on a namespace and
 * database of their own, with one tenant and an agent key; and the floor pipeline's two
 * processes on the same NATS server. Everything is stopped and deleted afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { LedgerEvent, Topology } from '@halm/contracts';
import { ensureLedgerStream } from '@halm/messaging';
import { createDataSource, migrate, TenantDirectory } from '@halm/persistence';
import { createTestDatabase, freeBasePort, isPortFree, openTestNats, repositoryRoot, startStack, stopProcesses, testNatsUrl, type RunningStack, type ServiceName } from '@halm/testing';
import { Client } from 'pg';
import { benchmarksDir } from '../harness';

export interface Stacks extends AsyncDisposable {
  namespace: string;
  halm: { port: number; agentKey: string; tenantId: string };
  /** Agent keys of further tenants, for the row that spreads the connections over tenants. */
  otherAgentKeys: string[];
  floor: { port: number };
  /** Every benchmark tenant: the first, then the others. */
  tenantIds: string[];
  /** The height of a tenant's chain in the ledger stream. */
  ledgerHeight(tenantId: string): Promise<number>;
  /** The height the PostgreSQL projection has applied for a tenant. */
  projectedHeight(tenantId: string): Promise<number>;
  logsDir: string;
  /** Every process each pipeline runs, by label (`gateway`, `floor server`, …), to read their CPU time. */
  processes: { pipeline: 'Halm' | 'floor'; label: string; pid: number }[];
}

/** The floor's stream: file storage like the ledger, named so that the namespace's cleanup deletes it too. */
const ensureFloorStream = async (manager: JetStreamManager, names: Topology): Promise<{ subject: string }> => {
  const subject = `${names.namespace}.floor.published`;
  await manager.streams.add({ name: `FLOOR${names.ledgerStream.slice('LEDGER'.length)}`, subjects: [subject], storage: StorageType.File });
  return { subject };
};

const freePort = async (): Promise<number> => {
  for (;;) {
    const port = 30_000 + Math.floor(Math.random() * 20_000);
    if (await isPortFree(port)) return port;
  }
};

/** Spawns a floor process and waits for its `ready` line. */
const spawnFloor = (role: 'server' | 'responder', environment: Record<string, string>, logsDir: string): Promise<ChildProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(benchmarksDir, 'dist', 'authorize', 'floor-pipeline.js'), role], {
      cwd: repositoryRoot,
      env: { ...process.env, ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr?.pipe(createWriteStream(join(logsDir, `floor-${role}.log`), { flags: 'a' }));
    const timer = setTimeout(() => reject(new Error(`the floor ${role} was not ready within 15 s`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the floor ${role} exited with code ${code} (see ${logsDir})`));
    });
  });

/** All six services by default, as Halm runs; `services` narrows that for profiling the authorize path alone. */
export const startStacks = async (log: (line: string) => void, otherTenants: number, services?: readonly ServiceName[]): Promise<Stacks> => {
  const cleanups: (() => PromiseLike<unknown>)[] = [];
  const dispose = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  };
  try {
    const database = await createTestDatabase(migrate);
    cleanups.push(() => database[Symbol.asyncDispose]());
    let floorSubject = '';
    const nats = await openTestNats(async (connection: NatsConnection, names) => {
      const manager = await jetstreamManager(connection);
      await ensureLedgerStream(manager, names);
      floorSubject = (await ensureFloorStream(manager, names)).subject;
    });
    cleanups.push(() => nats[Symbol.asyncDispose]());
    const namespace = nats.topology.namespace;
    const logsDir = join(repositoryRoot, '.halm', 'bench-logs', namespace);
    mkdirSync(logsDir, { recursive: true });

    log(`authorize: starting Halm's services (${(services ?? ['all six']).join(', ')}; namespace ${namespace}) and the floor pipeline…`);
    const stack: RunningStack = await startStack({ natsUrl: testNatsUrl(), databaseUrl: database.url, namespace, basePort: await freeBasePort(), logsDir, ...(services ? { services } : {}) });
    cleanups.push(() => stack.stop());
    const floorPort = await freePort();
    const floorEnvironment = { NATS_URL: testNatsUrl(), FLOOR_REQUEST_SUBJECT: `${namespace}.floor.req.answer`, FLOOR_STREAM_SUBJECT: floorSubject, PORT: String(floorPort) };
    const floorProcesses: ChildProcess[] = [];
    cleanups.push(() => stopProcesses(floorProcesses));
    floorProcesses.push(await spawnFloor('responder', floorEnvironment, logsDir));
    floorProcesses.push(await spawnFloor('server', floorEnvironment, logsDir));

    const dataSource = await createDataSource(database.url, 2).initialize();
    cleanups.push(() => dataSource.destroy());
    const directory = new TenantDirectory(dataSource);
    const tenant = await directory.createTenant('benchmark');
    const agentKey = (await directory.issueKey(tenant.id, ['agent'], 'benchmark agent')).secret;
    const otherAgentKeys: string[] = [];
    const tenantIds = [tenant.id];
    for (let index = 1; index <= otherTenants; index += 1) {
      const other = await directory.createTenant(`benchmark ${index + 1}`);
      tenantIds.push(other.id);
      otherAgentKeys.push((await directory.issueKey(other.id, ['agent'], 'benchmark agent')).secret);
    }
    const client = new Client({ connectionString: database.url });
    await client.connect();
    cleanups.push(() => client.end());
    const manager = await jetstreamManager(nats.connection);

    return {
      namespace,
      halm: { port: Number(new URL(stack.urls.gateway!).port), agentKey, tenantId: tenant.id },
      otherAgentKeys,
      floor: { port: floorPort },
      logsDir,
      tenantIds,
      processes: [
        ...stack.processes.map((entry) => ({ pipeline: 'Halm' as const, label: entry.label, pid: entry.process.pid ?? 0 })),
        ...floorProcesses.map((child, index) => ({ pipeline: 'floor' as const, label: index === 0 ? 'floor responder' : 'floor server', pid: child.pid ?? 0 })),
      ],
      ledgerHeight: async (tenantId) => {
        const last = await manager.streams.getMessage(nats.topology.ledgerStream, { last_by_subj: nats.topology.ledgerSubject(tenantId) });
        return last ? last.json<LedgerEvent>().height : 0;
      },
      projectedHeight: async (tenantId) => {
        const result = await client.query<{ height: number }>('SELECT height FROM ledger_projection_heads WHERE tenant_id = $1', [tenantId]);
        return result.rows[0]?.height ?? 0;
      },
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
};
