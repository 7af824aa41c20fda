import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import {
  bareHost,
  describe,
  type Dependency,
  type EnsureOptions,
  isConnectionRefused,
  isLocalHost,
  isRoot,
  lastLogLine,
  notStartedHere,
  oneLine,
} from './dependency';

const probeTimeoutMs = 1_000;
const startDeadlineMs = 15_000;
const stopDeadlineMs = 10_000;
const pollIntervalMs = 100;

type Probe = { kind: 'jetstream' | 'without-jetstream' | 'refused' } | { kind: 'failed'; reason: string };

/**
 * Uses the NATS server at `url` when it has JetStream; when nothing listens there (and it is this
 * machine), starts `nats-server -js` as a child of this process, installing Debian's package first
 * if we may. The child is not detached: it must not outlive `./halm up`.
 */
export async function ensureNats({ url, dataDir, log }: EnsureOptions): Promise<Dependency> {
  const { host, port } = parseNatsUrl(url);
  const found = await probe(url);
  switch (found.kind) {
    case 'jetstream':
      return notStartedHere(url);
    case 'without-jetstream':
      throw new Error(`NATS at ${url} answers but without JetStream: restart it with JetStream enabled (nats-server -js) or set NATS_URL to one that has it`);
    case 'failed':
      throw new Error(`NATS at ${url} does not answer as a NATS server (${found.reason}): check it or set NATS_URL`);
  }
  if (!isLocalHost(host)) {
    throw new Error(`NATS with JetStream is not reachable at ${url} (connection refused): start it there or set NATS_URL`);
  }
  await mkdir(dataDir, { recursive: true });
  const logFile = join(dataDir, 'nats.log');
  const binary = (await findNatsServer()) ?? (await installNatsServer(logFile, log));
  if (!binary) {
    throw new Error(`NATS with JetStream is not reachable at ${url} and no nats-server binary was found: install the nats-server package (apt-get install nats-server) or set NATS_URL`);
  }
  return startNatsServer({ binary, url, host, port, storeDir: join(dataDir, 'nats'), logFile, log });
}

const parseNatsUrl = (url: string): { host: string; port: number } => {
  let parsed: URL;
  try {
    parsed = new URL(url.includes('://') ? url : `nats://${url}`);
  } catch {
    throw new Error(`NATS_URL ${url} is not a valid url: use the form nats://host:port`);
  }
  return { host: bareHost(parsed.hostname) || '127.0.0.1', port: Number(parsed.port) || 4222 };
};

const probe = async (url: string): Promise<Probe> => {
  try {
    const connection = await connect({ servers: url, timeout: probeTimeoutMs, reconnect: false });
    const jetstream = connection.info?.jetstream === true;
    await connection.close();
    return { kind: jetstream ? 'jetstream' : 'without-jetstream' };
  } catch (error) {
    return isConnectionRefused(error) ? { kind: 'refused' } : { kind: 'failed', reason: describe(error) };
  }
};

const findExecutable = async (name: string, extraDirs: string[] = []): Promise<string | undefined> => {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
};

// Debian puts it in /usr/sbin, which is not on an ordinary user's PATH.
const findNatsServer = () => findExecutable('nats-server', ['/usr/sbin', '/usr/bin']);

const installNatsServer = async (logFile: string, log: (line: string) => void): Promise<string | undefined> => {
  const aptGet = await findExecutable('apt-get');
  if (!aptGet || !isRoot() || !existsSync('/etc/debian_version')) return undefined;
  log(`nats-server not found: installing Debian's nats-server package with apt-get (output in ${logFile})`);
  const install = () => run(aptGet, ['install', '-y', '--no-install-recommends', 'nats-server'], logFile);
  // a fresh machine often has no package lists yet; only then is the slow update worth it
  if ((await install()) !== 0 && ((await run(aptGet, ['update'], logFile)) !== 0 || (await install()) !== 0)) return undefined;
  // on a systemd machine the package starts its own server on 127.0.0.1:4222 without JetStream,
  // which would take the port ours needs
  const systemctl = await findExecutable('systemctl');
  if (systemctl) await run(systemctl, ['disable', '--now', 'nats-server.service'], logFile);
  return findNatsServer();
};

/** Runs a command to completion with its output appended to `logFile`; resolves to its exit code. */
const run = (command: string, args: string[], logFile: string): Promise<number> => {
  const logFd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { stdio: ['ignore', logFd, logFd], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return new Promise((resolve) => {
      child.once('error', () => resolve(-1));
      child.once('exit', (code) => resolve(code ?? -1));
    });
  } finally {
    closeSync(logFd);
  }
};

interface StartRequest {
  binary: string;
  url: string;
  host: string;
  port: number;
  storeDir: string;
  logFile: string;
  log: (line: string) => void;
}

const startNatsServer = async ({ binary, url, host, port, storeDir, logFile, log }: StartRequest): Promise<Dependency> => {
  await mkdir(storeDir, { recursive: true });
  log(`starting nats-server with JetStream on ${host}:${port} (data in ${storeDir}, log in ${logFile})`);
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, ['-a', host, '-p', String(port), '-js', '-sd', storeDir], { stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    const done = () => {
      exited = true;
      resolve();
    };
    child.once('exit', done);
    child.once('error', done);
  });

  // a last resort when the process ends without stop(), say on an uncaught error
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  void exit.then(() => process.off('exit', killOnExit));

  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopDeadlineMs);
    await exit;
    clearTimeout(timer);
  };

  const deadline = Date.now() + startDeadlineMs;
  while (Date.now() < deadline && !exited) {
    if ((await probe(url)).kind === 'jetstream') return { url, startedHere: true, stop };
    await sleep(pollIntervalMs);
  }
  const why = exited ? 'it exited' : `it did not accept connections within ${startDeadlineMs / 1000} s`;
  await stop();
  const lastLine = await lastLogLine(logFile);
  throw new Error(`nats-server could not be started on ${host}:${port}: ${why}${lastLine ? ` (${oneLine(lastLine)})` : ''}; see ${logFile}`);
};
