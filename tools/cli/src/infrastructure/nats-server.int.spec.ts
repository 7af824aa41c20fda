import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { ensureNats } from './nats-server';

const existingUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

const freePort = async (): Promise<number> => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
};

const temporaryFolder = async () => {
  const path = await mkdtemp(join(tmpdir(), 'halm-nats-'));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
};

const serverInfo = async (url: string) => {
  const connection = await connect({ servers: url, timeout: 1_000, reconnect: false });
  const info = connection.info;
  await connection.close();
  return info;
};

const answers = (url: string) => serverInfo(url).then(() => true, () => false);

describe('ensureNats', () => {
  it('reuses the NATS server with JetStream that already answers', async () => {
    await using dataDir = await temporaryFolder();
    const lines: string[] = [];

    const nats = await ensureNats({ url: existingUrl, dataDir: dataDir.path, log: (line) => lines.push(line) });
    await nats.stop();

    expect(nats).toMatchObject({ url: existingUrl, startedHere: false });
    expect(lines).toEqual([]);
    expect(await answers(existingUrl)).toBe(true);
  });

  it('starts a nats-server with JetStream when nothing listens, and stop() ends it', async () => {
    await using dataDir = await temporaryFolder();
    const url = `nats://127.0.0.1:${await freePort()}`;
    const lines: string[] = [];

    const nats = await ensureNats({ url, dataDir: dataDir.path, log: (line) => lines.push(line) });
    try {
      expect(nats).toMatchObject({ url, startedHere: true });
      expect((await serverInfo(url))?.jetstream).toBe(true);
      expect(lines).toHaveLength(1);
    } finally {
      await nats.stop();
    }
    expect(await answers(url)).toBe(false);

    const again = await ensureNats({ url, dataDir: dataDir.path, log: () => undefined });
    await again.stop();
    expect(again.startedHere).toBe(true);
  });

  it('fails in one line when the server answers without JetStream', async () => {
    await using dataDir = await temporaryFolder();
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const plain = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', env: { ...process.env, PATH: `${process.env['PATH']}:/usr/sbin` } });
    await using _ = { [Symbol.asyncDispose]: async () => { plain.kill('SIGTERM'); if (plain.exitCode === null) await once(plain, 'exit'); } };
    const deadline = Date.now() + 10_000;
    while (!(await answers(url)) && Date.now() < deadline) await sleep(100);

    const attempt = ensureNats({ url, dataDir: dataDir.path, log: () => undefined });

    await expect(attempt).rejects.toThrow(/^NATS at nats:\/\/127\.0\.0\.1:\d+ answers but without JetStream: [^\n]+$/);
  });
});
