import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { ensureLedgerStream } from '@halm/messaging';
import { createDataSource, migrate, TenantDirectory, type ApiKeyRole } from '@halm/persistence';
import {
  createTestDatabase,
  freeBasePort,
  newSigningKey,
  openTestNats,
  repositoryRoot,
  startStack,
  testNatsUrl,
  type RunningStack,
  type ServiceName,
  type TestNats,
} from '@halm/testing';

export interface E2eStack extends AsyncDisposable {
  stack: RunningStack;
  nats: TestNats;
  gatewayUrl: string;
  /** The settings every process of the stack got (the signing key, the webhook secret), unless overridden. */
  environment: Record<string, string>;
  /** Every JSON log line each service printed, by instance label. */
  logs: Map<string, Record<string, unknown>[]>;
  createTenant(name: string): Promise<{ tenantId: string; agentKey: string }>;
  /** Another key of the tenant, with these roles; its secret. */
  issueKey(tenantId: string, roles: ApiKeyRole[]): Promise<string>;
  /** More service processes on the same namespace and database (a restart, a second instance), with settings of their own if given; stopped with the rest. */
  startMore(services: readonly ServiceName[], environment?: Record<string, string>): Promise<RunningStack>;
}

/**
 * The built services as separate processes on a namespace and database of their own,
 * with a tenant directory to create tenants and keys through.
 */
export const startE2eStack = async (services?: readonly ServiceName[], environment: Record<string, string> = {}): Promise<E2eStack> => {
  const database = await createTestDatabase(migrate);
  const nats = await openTestNats(async (connection, names) => ensureLedgerStream(await jetstreamManager(connection), names));
  const logs = new Map<string, Record<string, unknown>[]>();
  const logsDir = join(repositoryRoot, '.halm', 'test-logs', nats.topology.namespace);
  mkdirSync(logsDir, { recursive: true });
  const start = async (which: readonly ServiceName[] | undefined, prefix = '', overrides: Record<string, string> = {}) =>
    startStack({
      natsUrl: testNatsUrl(),
      databaseUrl: database.url,
      namespace: nats.topology.namespace,
      basePort: await freeBasePort(),
      logsDir,
      ...(which ? { services: which } : {}),
      environment: { LOG_LEVEL: 'info', ...environment, ...overrides },
      onLine: (label, line) => {
        if (!line.startsWith('{')) return;
        const entries = logs.get(prefix + label) ?? [];
        entries.push(JSON.parse(line) as Record<string, unknown>);
        logs.set(prefix + label, entries);
      },
    });
  const more: RunningStack[] = [];
  // Instances started later sign with the same key, as a deployment's gateways do.
  environment = { EXECUTION_TOKEN_SIGNING_KEY: newSigningKey(), WEBHOOK_SIGNING_SECRET: randomBytes(32).toString('base64url'), ...environment };
  const stack = await start(services).catch(async (error: unknown) => {
    await nats[Symbol.asyncDispose]();
    await database[Symbol.asyncDispose]();
    throw error;
  });
  const dataSource = await createDataSource(database.url, 2).initialize();
  const directory = new TenantDirectory(dataSource);
  return {
    stack,
    nats,
    gatewayUrl: stack.urls.gateway ?? '',
    logs,
    createTenant: async (name) => {
      const tenant = await directory.createTenant(name);
      const key = await directory.issueKey(tenant.id, ['agent']);
      return { tenantId: tenant.id, agentKey: key.secret };
    },
    issueKey: async (tenantId, roles) => (await directory.issueKey(tenantId, roles)).secret,
    environment,
    startMore: async (which, overrides) => {
      const started = await start(which, `more${more.length + 1}:`, overrides);
      more.push(started);
      return started;
    },
    [Symbol.asyncDispose]: async () => {
      await Promise.all(more.map((extra) => extra.stop()));
      await stack.stop();
      await dataSource.destroy();
      await nats[Symbol.asyncDispose]();
      await database[Symbol.asyncDispose]();
    },
  };
};

export const authorize = (gatewayUrl: string, key: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${gatewayUrl}/api/kernel/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
