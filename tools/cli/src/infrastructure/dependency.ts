import { readFile } from 'node:fs/promises';

/** A backing service `./halm up` relies on: found running, or started by this process. */
export interface Dependency {
  /** Where to connect; for a server started here it carries any credentials chosen here. */
  url: string;
  startedHere: boolean;
  /** Stops a server started here and waits until it has exited; a no-op otherwise. */
  stop(): Promise<void>;
}

export interface EnsureOptions {
  url: string;
  /** Folder for the data and logs of servers started here; reused across runs. */
  dataDir: string;
  log: (line: string) => void;
}

export const notStartedHere = (url: string): Dependency => ({ url, startedHere: false, stop: async () => undefined });

const loopbackHosts = new Set(['localhost', '127.0.0.1', '::1', '0.0.0.0', '::']);

/** Only a server on this machine can be started here; a remote one is the user's to run. */
export const isLocalHost = (host: string): boolean => loopbackHosts.has(host) || host.startsWith('127.');

/** URL.hostname keeps the brackets of an IPv6 literal; sockets and server flags want it bare. */
export const bareHost = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1');

/** True when nothing listens at the address, as opposed to something answering badly. */
export const isConnectionRefused = (error: unknown): boolean => {
  // duck-typed, as errors from Node's sockets are not instances of a jest test's Error
  if (typeof error !== 'object' || error === null) return false;
  const { code, errors, cause } = error as { code?: unknown; errors?: unknown; cause?: unknown };
  if (code === 'ECONNREFUSED') return true;
  // with happy-eyeballs a refused "localhost" fails once per address, as an AggregateError
  if (Array.isArray(errors) && errors.length > 0) return errors.every(isConnectionRefused);
  return isConnectionRefused(cause);
};

/** An error's message on one line; duck-typed for the same reason as isConnectionRefused. */
export const describe = (error: unknown): string => {
  const { message, code, name } = (typeof error === 'object' && error !== null ? error : {}) as { message?: unknown; code?: unknown; name?: unknown };
  return oneLine(typeof message === 'string' && message ? message : String(code ?? name ?? error));
};

export const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

export const isRoot = (): boolean => process.getuid?.() === 0;

/** The last line a server wrote before failing, so the error can say why without a trip to the log. */
export const lastLogLine = async (logFile: string): Promise<string> => {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.at(-1) ?? '';
};
