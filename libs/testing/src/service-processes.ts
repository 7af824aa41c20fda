import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { publicKeyOf, signingKeyFrom } from '@halm/domain';
import { closeSync, createWriteStream, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/** The repository root: libs/testing/{src,dist}/… → three levels up. */
export const repositoryRoot = resolve(__dirname, '..', '..', '..');

export const SERVICES = ['policy-evaluator', 'ledger', 'executor', 'integrity-monitor', 'lockdown-controller', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

const PORT_OFFSETS: Record<ServiceName, number> = {
  gateway: 0,
  'policy-evaluator': 1,
  executor: 2,
  ledger: 3,
  'integrity-monitor': 4,
  'lockdown-controller': 5,
};

/** The gateway on the base port, the others after it; a second instance of a service ten ports further. */
export const servicePort = (service: ServiceName, basePort: number, instance = 0): number => basePort + PORT_OFFSETS[service] + 10 * instance;

export interface ServiceProcess {
  service: ServiceName;
  instance: number;
  /** `ledger` for the first instance, `ledger-2` for the second, and so on. */
  label: string;
  url: string;
  process: ChildProcess;
}

export interface StackOptions {
  natsUrl: string;
  databaseUrl: string;
  namespace: string;
  basePort: number;
  logsDir: string;
  /** Services to start; all six by default. A service listed twice gets a second instance. */
  services?: readonly ServiceName[];
  environment?: Record<string, string>;
  /** Called with every line a service prints (its JSON logs). */
  onLine?: (label: string, line: string) => void;
}

export interface RunningStack {
  processes: ServiceProcess[];
  /** The first instance's URL of each service started. */
  urls: Partial<Record<ServiceName, string>>;
  stop(): Promise<void>;
}

/** A fresh Ed25519 signing key, PKCS#8 DER in base64url, as EXECUTION_TOKEN_SIGNING_KEY and LEDGER_SIGNING_KEY take it. */
export const newSigningKey = (): string => generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url');

/** The public key (SPKI DER, base64url) of a signing key as newSigningKey makes them: what EXECUTION_TOKEN_PUBLIC_KEYS lists. */
export const publicKeyOfSigningKey = (signingKey: string): string => publicKeyOf(signingKeyFrom(signingKey));

/**
 * Starts each service as its own Node process from its build output and waits until every
 * one reports ready. Without an EXECUTION_TOKEN_SIGNING_KEY or a LEDGER_SIGNING_KEY in the
 * environment, the stack gets a fresh one.
 */
export const startStack = async (options: StackOptions): Promise<RunningStack> => {
  for (const setting of ['EXECUTION_TOKEN_SIGNING_KEY', 'LEDGER_SIGNING_KEY']) {
    if (!options.environment?.[setting] && !process.env[setting]) options = { ...options, environment: { ...options.environment, [setting]: newSigningKey() } };
  }
  // Executors honour the gateways' token key unless told otherwise (a rotation test lists several).
  const tokenKey = options.environment?.['EXECUTION_TOKEN_SIGNING_KEY'] ?? process.env['EXECUTION_TOKEN_SIGNING_KEY'] ?? '';
  if (!options.environment?.['EXECUTION_TOKEN_PUBLIC_KEYS'] && !process.env['EXECUTION_TOKEN_PUBLIC_KEYS']) {
    options = { ...options, environment: { ...options.environment, EXECUTION_TOKEN_PUBLIC_KEYS: publicKeyOfSigningKey(tokenKey) } };
  }
  if (!options.environment?.['WEBHOOK_SIGNING_SECRET'] && !process.env['WEBHOOK_SIGNING_SECRET']) {
    options = { ...options, environment: { ...options.environment, WEBHOOK_SIGNING_SECRET: randomBytes(32).toString('base64url') } };
  }
  mkdirSync(options.logsDir, { recursive: true });
  const processes: ServiceProcess[] = [];
  const stop = () => stopProcesses(processes.map((entry) => entry.process));
  try {
    const counts = new Map<ServiceName, number>();
    for (const service of options.services ?? SERVICES) {
      const instance = counts.get(service) ?? 0;
      counts.set(service, instance + 1);
      processes.push(spawnService(service, instance, options));
    }
    await Promise.all(processes.map((entry) => waitUntilReady(entry)));
    const urls: Partial<Record<ServiceName, string>> = {};
    for (const entry of processes) urls[entry.service] ??= entry.url;
    return { processes, urls, stop };
  } catch (error) {
    await stop();
    throw error;
  }
};

const spawnService = (service: ServiceName, instance: number, options: StackOptions): ServiceProcess => {
  const port = servicePort(service, options.basePort, instance);
  const label = instance === 0 ? service : `${service}-${instance + 1}`;
  const logFile = options.onLine ? undefined : openSync(join(options.logsDir, `${label}.log`), 'a');
  const child = spawn(process.execPath, [join(repositoryRoot, 'apps', service, 'dist', 'main.js')], {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      NATS_URL: options.natsUrl,
      DATABASE_URL: options.databaseUrl,
      HALM_NAMESPACE: options.namespace,
      HOST: '127.0.0.1',
      PORT: String(port),
      ...options.environment,
    },
    // Without a reader of the lines, the service writes its log file itself: passing every line
    // through this process would cost this process CPU for each one, which a benchmark measures.
    stdio: logFile === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', logFile, logFile],
  });
  if (logFile !== undefined) {
    closeSync(logFile);
  } else {
    const log = createWriteStream(join(options.logsDir, `${label}.log`), { flags: 'a' });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.pipe(log, { end: false });
      let pending = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString('utf8')).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) options.onLine?.(label, line);
      });
    }
  }
  return { service, instance, label, url: `http://127.0.0.1:${port}`, process: child };
};

const waitUntilReady = async (entry: ServiceProcess, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null = entry.process.exitCode;
  entry.process.once('exit', (code) => (exitCode = code ?? 1));
  while (Date.now() < deadline) {
    if (exitCode !== null) throw new Error(`${entry.label} exited with code ${exitCode} before it was ready (see its log)`);
    try {
      const response = await fetch(`${entry.url}/health/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${entry.label} was not ready within ${timeoutMs / 1000} s (see its log)`);
};

/** SIGTERM to all, then wait; a process that ignores it for 15 s gets SIGKILL. */
export const stopProcesses = async (children: readonly ChildProcess[]): Promise<void> => {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.once('exit', () => {
            clearTimeout(killer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
};

/** Whether nothing listens on the loopback port right now. */
export const isPortFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A base port whose whole block (two instances of every service) is free right now. */
export const freeBasePort = async (): Promise<number> => {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 21_000 + 20 * Math.floor(Math.random() * 2_000);
    const ports = Array.from({ length: 20 }, (_, offset) => base + offset);
    if ((await Promise.all(ports.map(isPortFree))).every(Boolean)) return base;
  }
  throw new Error('no free block of 20 ports found');
};
