import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Client } from 'pg';
import { topology, type Topology } from '@halm/contracts';

/** NATS for tests: NATS_URL as `./halm test` sets it, else the local default. */
export const testNatsUrl = (): string => process.env['NATS_URL'] || 'nats://127.0.0.1:4222';

/** A PostgreSQL server for tests; each test makes its own database on it. */
export const testDatabaseServerUrl = (): string => process.env['DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres';

/** A namespace no other test run uses, so its streams and subjects are its own. */
export const uniqueNamespace = (): string => `t${randomBytes(5).toString('hex')}`;

const withDatabase = (serverUrl: string, database: string): string => {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

export interface TestDatabase extends AsyncDisposable {
  url: string;
  name: string;
}

/**
 * A fresh database, prepared by `migrate` (pass the persistence lib's `migrate` for the
 * whole schema); dropped on dispose. The migration comes in as a parameter so that the
 * persistence lib's own tests can use this helper without a dependency cycle.
 */
export const createTestDatabase = async (migrate: (url: string) => Promise<unknown>): Promise<TestDatabase> => {
  const name = `halm_test_${randomBytes(5).toString('hex')}`;
  const admin = withDatabase(testDatabaseServerUrl(), 'postgres');
  await runAdmin(admin, `CREATE DATABASE "${name}"`);
  const url = withDatabase(testDatabaseServerUrl(), name);
  await migrate(url);
  return {
    url,
    name,
    [Symbol.asyncDispose]: () => runAdmin(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
};

const runAdmin = async (url: string, statement: string): Promise<void> => {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
};

export interface TestNats extends AsyncDisposable {
  connection: NatsConnection;
  topology: Topology;
}

/**
 * A connection and a namespace of its own, prepared by `prepare` (e.g. creating the ledger
 * stream); every stream of the namespace is deleted on dispose.
 */
export const openTestNats = async (
  prepare: (connection: NatsConnection, topology: Topology) => Promise<unknown> = async () => undefined,
  namespace: string = uniqueNamespace(),
): Promise<TestNats> => {
  const connection = await connect({ servers: testNatsUrl(), name: `test-${namespace}` });
  const names = topology(namespace);
  const manager = await jetstreamManager(connection);
  await prepare(connection, names);
  return {
    connection,
    topology: names,
    [Symbol.asyncDispose]: async () => {
      const suffix = names.ledgerStream.slice('LEDGER'.length);
      for await (const stream of manager.streams.names()) {
        // KV buckets (`KV_halm_lockdown_<namespace>`) carry the namespace in lower case.
        if (stream.endsWith(suffix) || stream.endsWith(suffix.toLowerCase())) await manager.streams.delete(stream).catch(() => undefined);
      }
      await connection.close();
    },
  };
};

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export const eventually = async <T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'the condition'): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
