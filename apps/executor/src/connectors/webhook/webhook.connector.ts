import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectorAbortedError, type Connector, type ConnectorCall, type ConnectorResult } from '../connector';
import { delayBeforeRetryMs, retryAfterMs } from './retry-schedule';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature';

export interface WebhookConnectorOptions {
  /** The HMAC-SHA256 key of `Halm-Signature`, shared with receivers; at least 32 characters. */
  signingSecret: string;
  /** Each attempt's limit, from connecting to the last byte of the response. */
  timeoutMs: number;
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The backoff ceiling before the first retry; it doubles with each further retry. */
  initialBackoffMs: number;
  /** The longest wait between attempts, also for a receiver's `Retry-After`. */
  maxBackoffMs: number;
}

export type WebhookAttemptError = 'timeout' | 'connection' | 'aborted' | 'request';

/** One HTTP attempt as recorded in the ledger. */
export interface WebhookAttempt {
  /** The response status, null when none came. */
  status: number | null;
  error: WebhookAttemptError | null;
  /** The system error code of a connection error (`ECONNREFUSED`), else null. */
  code: string | null;
  /** The wait before this attempt: 0 for the first, then the backoff or the receiver's `Retry-After`. */
  delayMs: number;
  durationMs: number;
}

/** The `result` of a webhook execution. */
export interface WebhookResult {
  /** The last response's status, null when no attempt got one. */
  status: number | null;
  attempts: WebhookAttempt[];
  durationMs: number;
  /** The length of the last response's body (the body itself is not kept); null when there was none or it did not arrive whole. */
  responseBytes: number | null;
  /** Names (lower case) of the caller's headers that were not sent: reserved by the kernel or not valid HTTP. */
  droppedHeaders: string[];
  /** Why it failed, in words; null when it succeeded. */
  failure: string | null;
}

/**
 * The kernel's own headers and those that describe the body or the connection: a caller's
 * header by one of these names (or any `Halm-*`) is dropped rather than let it replace the
 * signature, the idempotency key or the framing of the signed bytes.
 */
const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'idempotency-key',
  'host',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);
const isReservedHeader = (name: string) => RESERVED_HEADERS.has(name) || name.startsWith('halm-');
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/** Connection errors raised before a byte was sent: the receiver cannot have acted on the attempt. */
const NOTHING_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

interface PreparedRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  droppedHeaders: string[];
}

interface AttemptOutcome {
  attempt: Omit<WebhookAttempt, 'delayMs'>;
  retryAfter: string | null;
  responseBytes: number | null;
}

const wholeMs = (since: number) => Math.round(performance.now() - since);

const isRetryable = ({ status, error }: Pick<WebhookAttempt, 'status' | 'error'>) =>
  status === null ? error === 'timeout' || error === 'connection' : status >= 500 || status === 429;

const countBytes = async (response: Response): Promise<number | null> => {
  if (response.body === null) return 0;
  const reader = response.body.getReader();
  let total = 0;
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) total += chunk.value.byteLength;
    return total;
  } catch {
    return null;
  }
};

const requireWhole = (name: keyof WebhookConnectorOptions, value: number, minimum: number) => {
  if (!Number.isInteger(value) || value < minimum) throw new RangeError(`webhook connector: ${name} must be a whole number of at least ${minimum}, got ${value}`);
};

/**
 * `webhook:send`: a real HTTP POST of the payload's `body` as JSON to its `url`, signed with
 * `Halm-Signature`, carrying the caller's idempotency key, retried with backoff on 5xx, 429,
 * timeouts and connection errors. Redirects are not followed. See docs/connectors.md.
 */
export class WebhookConnector implements Connector {
  readonly actionType = 'webhook:send' as const;
  readonly name = 'webhook';

  constructor(private readonly options: WebhookConnectorOptions) {
    if (typeof options.signingSecret !== 'string' || options.signingSecret.length < 32) {
      throw new RangeError('webhook connector: signingSecret must be at least 32 characters');
    }
    requireWhole('timeoutMs', options.timeoutMs, 1);
    requireWhole('maxAttempts', options.maxAttempts, 1);
    requireWhole('initialBackoffMs', options.initialBackoffMs, 0);
    requireWhole('maxBackoffMs', options.maxBackoffMs, options.initialBackoffMs);
  }

  async perform(call: ConnectorCall, signal?: AbortSignal): Promise<ConnectorResult> {
    const started = performance.now();
    const prepared = this.prepare(call);
    if (typeof prepared === 'string') return this.failed({ attempts: [], durationMs: 0, droppedHeaders: [], failure: prepared });
    const attempts: WebhookAttempt[] = [];
    const aborted = () =>
      new ConnectorAbortedError(
        attempts.some((attempt) => !(attempt.error === 'connection' && attempt.code !== null && NOTHING_SENT_CODES.has(attempt.code))),
        { ...this.summary(attempts, started, null, prepared.droppedHeaders), failure: 'aborted' },
      );
    let delayMs = 0;
    for (;;) {
      if (signal?.aborted) throw aborted();
      if (delayMs > 0) {
        try {
          await sleep(delayMs, undefined, { signal });
        } catch {
          throw aborted();
        }
      }
      const isLast = attempts.length + 1 === this.options.maxAttempts;
      const outcome = await this.attempt(prepared, call.idempotencyKey, isLast, signal);
      attempts.push({ ...outcome.attempt, delayMs });
      if (outcome.attempt.error === 'aborted') throw aborted();
      const summary = this.summary(attempts, started, outcome.responseBytes, prepared.droppedHeaders);
      const { status } = outcome.attempt;
      if (status !== null && status >= 200 && status < 300) return { outcome: 'SUCCEEDED', result: { ...summary, failure: null } };
      if (isLast || !isRetryable(outcome.attempt)) return this.failed({ ...summary, failure: this.describeFailure(attempts) });
      delayMs = delayBeforeRetryMs(attempts.length, retryAfterMs(outcome.retryAfter, Date.now()), this.options, Math.random);
    }
  }

  /** The request every attempt sends, or why none can be sent. */
  private prepare(call: ConnectorCall): PreparedRequest | string {
    const { url, headers, event, body } = call.payload;
    let target: URL;
    try {
      target = new URL(String(url));
    } catch {
      return 'url is not a URL';
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return 'url must be http or https';
    if (target.username !== '' || target.password !== '') return 'url must not carry credentials (send them in headers)';
    if (!HEADER_VALUE.test(call.idempotencyKey)) return 'idempotency key must be printable ASCII to travel in a header';
    if (event !== undefined && (typeof event !== 'string' || !HEADER_VALUE.test(event))) return 'event must be printable ASCII to travel in the Halm-Event header';
    let json: string;
    try {
      json = JSON.stringify(body ?? {});
    } catch {
      return 'body cannot be written as JSON';
    }
    const sent: Record<string, string> = {};
    const droppedHeaders: string[] = [];
    const callerHeaders = headers !== null && typeof headers === 'object' ? Object.entries(headers) : [];
    for (const [name, value] of callerHeaders) {
      const lowerName = name.toLowerCase();
      if (isReservedHeader(lowerName) || !HEADER_NAME.test(name) || typeof value !== 'string' || !HEADER_VALUE.test(value)) droppedHeaders.push(lowerName);
      else sent[lowerName] = value;
    }
    return {
      url: target.href,
      body: json,
      headers: {
        'user-agent': 'Halm-Webhooks/1',
        ...sent,
        'content-type': 'application/json',
        'idempotency-key': call.idempotencyKey,
        'halm-execution-id': call.executionId,
        ...(event === undefined ? {} : { 'halm-event': event }),
      },
      droppedHeaders,
    };
  }

  private async attempt(request: PreparedRequest, idempotencyKey: string, isLast: boolean, signal: AbortSignal | undefined): Promise<AttemptOutcome> {
    const started = performance.now();
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const timestampSeconds = Math.floor(Date.now() / 1_000);
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: { ...request.headers, [SIGNATURE_HEADER.toLowerCase()]: signWebhook(this.options.signingSecret, idempotencyKey, timestampSeconds, request.body) },
        body: request.body,
        redirect: 'manual',
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const attempt = { status: response.status, error: null, code: null };
      const willRetry = !isLast && isRetryable(attempt);
      if (willRetry) await response.body?.cancel().catch(() => undefined);
      const responseBytes = willRetry ? null : await countBytes(response);
      return { attempt: { ...attempt, durationMs: wholeMs(started) }, retryAfter: response.headers.get('retry-after'), responseBytes };
    } catch (error) {
      const { name, message, cause } = error as { name?: unknown; message?: unknown; cause?: { code?: unknown } };
      // fetch comes from another realm under some test runners, so its TypeError is recognised by name
      const isConnectionError = name === 'TypeError' && message === 'fetch failed';
      const kind: WebhookAttemptError = signal?.aborted ? 'aborted' : timeout.aborted ? 'timeout' : isConnectionError ? 'connection' : 'request';
      const code = kind === 'connection' && typeof cause?.code === 'string' ? cause.code : null;
      return { attempt: { status: null, error: kind, code, durationMs: wholeMs(started) }, retryAfter: null, responseBytes: null };
    }
  }

  private summary(attempts: WebhookAttempt[], started: number, responseBytes: number | null, droppedHeaders: string[]): Omit<WebhookResult, 'failure'> {
    return { status: attempts.at(-1)?.status ?? null, attempts, durationMs: wholeMs(started), responseBytes, droppedHeaders };
  }

  private failed(result: Omit<WebhookResult, 'status' | 'responseBytes'> & Partial<WebhookResult>): ConnectorResult {
    return { outcome: 'FAILED', result: { status: null, responseBytes: null, ...result } satisfies WebhookResult };
  }

  private describeFailure(attempts: WebhookAttempt[]): string {
    const last = attempts.at(-1);
    const what = last?.status != null ? `HTTP ${last.status}` : (last?.error ?? 'no attempt');
    if (last?.status != null && last.status >= 300 && last.status < 400) return `${what}: redirects are not followed`;
    if (last !== undefined && !isRetryable(last)) return `${what} is not retried`;
    return `${what} after ${attempts.length} attempt${attempts.length === 1 ? '' : 's'}`;
  }
}
