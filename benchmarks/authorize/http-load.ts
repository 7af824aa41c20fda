/**
 * A closed-loop HTTP/1.1 load generator: `connections` keep-alive sockets, each sending the
 * same POST and waiting for its answer before the next, for a fixed time. Written on bare
 * sockets rather than node:http or fetch so that on a 2-core machine the client takes as
 * little CPU from the servers it measures as it can, and so that every latency is timed with
 * the monotonic clock from the first byte written to the last byte read, at microsecond
 * resolution (load tools that keep whole milliseconds cannot tell 1.4 ms from 2.4 ms).
 *
 * It understands exactly what both servers measured here send: a status line, headers with
 * Content-Length, a body. Anything else (chunked encoding, a closed socket) is an error.
 */
import { connect, type Socket } from 'node:net';

export interface HttpTarget {
  port: number;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadRound {
  connections: number;
  /** Completed requests per second over the round, from the first request to the last answer. */
  perSecond: number;
  /** Answers with status 200. */
  completed: number;
  /** Answers with another status, and failed connections. */
  failed: number;
  /** The latency of every answered request, in milliseconds, in the order they completed. */
  latenciesMs: number[];
  elapsedMs: number;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export const requestBytes = (target: HttpTarget): Buffer => {
  const body = Buffer.from(target.body);
  const headers = Object.entries(target.headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return Buffer.concat([
    Buffer.from(
      `POST ${target.path} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nConnection: keep-alive\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${headers}\r\n`,
    ),
    body,
  ]);
};

/** One keep-alive socket that carries one request at a time. */
class Connection {
  private buffered: Buffer | undefined;
  private waiting: { resolve: (answer: { status: number; body: Buffer }) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  static open(port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  send(request: Buffer): Promise<{ status: number; body: Buffer }> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    const data = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    const headerEnd = data.indexOf(HEADER_END);
    if (headerEnd < 0) {
      this.buffered = data;
      return;
    }
    const head = data.toString('latin1', 0, headerEnd);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) return this.fail(new Error(`an answer without Content-Length: ${head.split('\r\n')[0]}`));
    const bodyStart = headerEnd + HEADER_END.length;
    const bodyEnd = bodyStart + Number(length[1]);
    if (data.length < bodyEnd) {
      this.buffered = data;
      return;
    }
    this.buffered = undefined;
    if (data.length > bodyEnd) return this.fail(new Error('more bytes than one answer: the server sent something unasked'));
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve({ status: Number(head.slice(9, 12)), body: data.subarray(bodyStart, bodyEnd) });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }
}

/** One request on a fresh connection, with its body: to check what a server answers before it is measured. */
export const requestOnce = async (target: HttpTarget): Promise<HttpAnswer> => {
  const connection = await Connection.open(target.port);
  try {
    const answer = await connection.send(requestBytes(target));
    return { status: answer.status, body: answer.body.toString('utf8') };
  } finally {
    connection.close();
  }
};

/**
 * `connections` connections send requests back to back for `durationMs`; a request started
 * before the deadline is waited for and counted. Connections are opened before the clock
 * starts and closed after, so neither is timed. With several targets (the same server, other
 * credentials), connection i sends the request of target i modulo their number.
 */
export const runLoad = async (target: HttpTarget | readonly HttpTarget[], connections: number, durationMs: number): Promise<LoadRound> => {
  const targets = Array.isArray(target) ? target : [target as HttpTarget];
  const requests = targets.map(requestBytes);
  const sockets = await Promise.all(Array.from({ length: connections }, (_, index) => Connection.open(targets[index % targets.length]!.port)));
  return drive(sockets, durationMs, (index) => requests[index % requests.length]);
};

/**
 * Like `runLoad`, but every request is asked of `next` (given the connection's index), so each
 * can differ — a new token, a new idempotency key. A connection stops when `next` has nothing
 * more or the time is up; `onAnswer` sees every answer.
 */
export const runRequests = async (
  port: number,
  connections: number,
  durationMs: number,
  next: (connection: number) => Buffer | undefined,
  onAnswer?: (answer: { status: number; body: Buffer }) => void,
): Promise<LoadRound> => drive(await Promise.all(Array.from({ length: connections }, () => Connection.open(port))), durationMs, next, onAnswer);

const drive = async (
  sockets: Connection[],
  durationMs: number,
  next: (connection: number) => Buffer | undefined,
  onAnswer?: (answer: { status: number; body: Buffer }) => void,
): Promise<LoadRound> => {
  const latenciesMs: number[] = [];
  let completed = 0;
  let failed = 0;
  const started = process.hrtime.bigint();
  const deadline = Number.isFinite(durationMs) ? started + BigInt(Math.round(durationMs * 1e6)) : undefined;
  let lastAnswer = started;
  const loop = async (connection: Connection, index: number): Promise<void> => {
    for (;;) {
      const sent = process.hrtime.bigint();
      if (deadline !== undefined && sent >= deadline) return;
      const request = next(index);
      if (!request) return;
      try {
        const answer = await connection.send(request);
        lastAnswer = process.hrtime.bigint();
        latenciesMs.push(Number(lastAnswer - sent) / 1e6);
        if (answer.status === 200) completed += 1;
        else failed += 1;
        onAnswer?.(answer);
      } catch {
        failed += 1;
        return;
      }
    }
  };
  try {
    await Promise.all(sockets.map((socket, index) => loop(socket, index)));
  } finally {
    for (const socket of sockets) socket.close();
  }
  const elapsedMs = Number(lastAnswer - started) / 1e6;
  return { connections: sockets.length, perSecond: elapsedMs > 0 ? (completed * 1000) / elapsedMs : 0, completed, failed, latenciesMs, elapsedMs };
};

/** The value below which `fraction` of the sorted values lie (nearest rank). */
export const percentile = (sorted: readonly number[], fraction: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank] as number;
};

/** How long a load benchmark runs: rounds of `seconds` per pipeline after `warmupSeconds`. */
export interface LoadOptions {
  seconds: number;
  rounds: number;
  warmupSeconds: number;
}

/** `--seconds N --rounds N --warmup-seconds N`, each optional; `--quick` picks the short defaults. */
export const parseLoadOptions = (args: readonly string[], defaults: { full: LoadOptions; quick: LoadOptions }): LoadOptions => {
  const fallback = args.includes('--quick') ? defaults.quick : defaults.full;
  const value = (flag: string, otherwise: number): number => {
    const index = args.indexOf(flag);
    if (index < 0) return otherwise;
    const parsed = Number(args[index + 1]);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${flag} needs a positive number`);
    return parsed;
  };
  return {
    seconds: value('--seconds', fallback.seconds),
    rounds: Math.round(value('--rounds', fallback.rounds)),
    warmupSeconds: value('--warmup-seconds', fallback.warmupSeconds),
  };
};
