import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { ensurePostgres } from './postgres';

const existingUrl = new URL(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres');

const freePort = async (): Promise<number> => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
};

const temporaryFolder = async () => {
  const path = await mkdtemp(join(tmpdir(), 'halm-postgres-'));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
};

const query = async (url: string | URL, sql: string): Promise<Record<string, unknown>[]> => {
  const client = new Client({ connectionString: String(url), connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
};

const urlFor = (base: URL, database: string): string => {
  const url = new URL(base.href);
  url.pathname = `/${database}`;
  return url.href;
};

describe('ensurePostgres', () => {
  it('reuses the PostgreSQL that answers and creates the missing database', async () => {
    await using dataDir = await temporaryFolder();
    const database = `halm_int_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const url = urlFor(existingUrl, database);
    const lines: string[] = [];
    await using _ = { [Symbol.asyncDispose]: async () => void (await query(existingUrl, `DROP DATABASE IF EXISTS "${database}"`)) };

    const postgres = await ensurePostgres({ url, dataDir: dataDir.path, log: (line) => lines.push(line) });
    const again = await ensurePostgres({ url, dataDir: dataDir.path, log: (line) => lines.push(line) });
    await postgres.stop();

    expect(postgres.startedHere).toBe(false);
    expect(again.startedHere).toBe(false);
    expect(await query(postgres.url, 'select current_database() as name')).toEqual([{ name: database }]);
    expect(lines).toEqual([]);
  });

  it('starts embedded PostgreSQL when nothing listens, answers select 1, and stop() ends it', async () => {
    await using dataDir = await temporaryFolder();
    const port = await freePort();
    const url = `postgres://halm@127.0.0.1:${port}/halm`;
    const lines: string[] = [];

    const postgres = await ensurePostgres({ url, dataDir: dataDir.path, log: (line) => lines.push(line) });
    try {
      expect(postgres).toMatchObject({ url: `postgres://halm:postgres@127.0.0.1:${port}/halm`, startedHere: true });
      expect(await query(postgres.url, 'select 1 as one')).toEqual([{ one: 1 }]);
      expect(lines).toHaveLength(1);
    } finally {
      await postgres.stop();
    }
    await expect(query(postgres.url, 'select 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  }, 120_000);

  it('stop() returns when postgres has already exited, as after Ctrl-C signals the whole process group', async () => {
    await using dataDir = await temporaryFolder();
    const port = await freePort();
    const postgres = await ensurePostgres({ url: `postgres://halm@127.0.0.1:${port}/halm`, dataDir: dataDir.path, log: () => undefined });
    const postmaster = Number.parseInt(await readFile(join(dataDir.path, 'postgres', 'postmaster.pid'), 'utf8'), 10);

    process.kill(postmaster, 'SIGINT');
    while (await query(postgres.url, 'select 1').then(() => true, () => false)) await sleep(50);
    await sleep(200);

    await expect(Promise.race([postgres.stop().then(() => 'stopped'), sleep(10_000, 'still waiting')])).resolves.toBe('stopped');
  }, 120_000);
});
