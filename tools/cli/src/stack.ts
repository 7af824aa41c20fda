import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot, SERVICES, servicePort, type ServiceName } from './paths';

export interface StackOptions {
  natsUrl: string;
  databaseUrl: string;
  namespace: string;
  basePort: number;
  logsDir: string;
  /** Services to start, in order; all six by default. */
  services?: readonly ServiceName[];
  extraEnvironment?: Record<string, string>;
  /** Also copy each service's output here (the e2e tests read the logs). */
  onLine?: (service: ServiceName, line: string) => void;
}

export interface RunningStack {
  urls: Record<ServiceName, string>;
  processes: Map<ServiceName, ChildProcess>;
  stop(): Promise<void>;
}

/** Starts each service as its own Node process and waits until every one reports ready. */
export const startStack = async (options: StackOptions): Promise<RunningStack> => {
  mkdirSync(options.logsDir, { recursive: true });
  const processes = new Map<ServiceName, ChildProcess>();
  const urls = {} as Record<ServiceName, string>;
  const services = options.services ?? SERVICES;
  const stop = () => stopAll(processes);
  try {
    for (const service of services) {
      const port = servicePort(service, options.basePort);
      urls[service] = `http://127.0.0.1:${port}`;
      const child = spawn(process.execPath, [join(repositoryRoot, 'apps', service, 'dist', 'main.js')], {
        cwd: repositoryRoot,
        env: {
          ...process.env,
          NATS_URL: options.natsUrl,
          DATABASE_URL: options.databaseUrl,
          HALM_NAMESPACE: options.namespace,
          HOST: '127.0.0.1',
          PORT: String(port),
          ...options.extraEnvironment,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const log = createWriteStream(join(options.logsDir, `${service}.log`), { flags: 'a' });
      for (const stream of [child.stdout, child.stderr]) {
        stream?.pipe(log, { end: false });
        if (options.onLine) {
          let pending = '';
          stream?.on('data', (chunk: Buffer) => {
            const lines = (pending + chunk.toString('utf8')).split('\n');
            pending = lines.pop() ?? '';
            for (const line of lines) options.onLine?.(service, line);
          });
        }
      }
      processes.set(service, child);
    }
    await Promise.all(services.map((service) => waitUntilReady(service, urls[service], processes.get(service)!)));
    return { urls, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
};

const waitUntilReady = async (service: ServiceName, url: string, child: ChildProcess, timeoutMs = 30_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? 1));
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`${service} exited with code ${exited} before it was ready (see .halm/logs/${service}.log)`);
    try {
      const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${service} was not ready within ${timeoutMs / 1000} s (see .halm/logs/${service}.log)`);
};

/** SIGTERM to all, then wait; a process that ignores it for 15 s gets SIGKILL. */
export const stopAll = async (processes: Map<ServiceName, ChildProcess>): Promise<void> => {
  await Promise.all(
    [...processes.values()].map(
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
