import { errorFromResponse, HalmError, HalmUnavailableError } from './errors';

/**
 * When a failed request may be sent again:
 * - `safe`: reads, and writes that carry an idempotency key: any network error, timeout or 503;
 * - `unsent`: writes without one (authorize): only when the request cannot have been acted on,
 *   a refused connection or a 503 (the gateway answers 503 only when nothing was recorded).
 */
export type RetryPolicy = 'safe' | 'unsent';

export interface TransportSettings {
  baseUrl: string;
  apiKey: string;
  fetch: typeof fetch;
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

export interface HttpCall {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  retry: RetryPolicy;
  signal?: AbortSignal;
  /** Overrides the transport's timeout for this call (a long poll needs more). */
  timeoutMs?: number;
}

export interface HttpAnswer<T> {
  status: number;
  body: T;
}

/** Sends one call with its retries; answers any 2xx, throws the typed error of anything else. */
export class HttpTransport {
  private readonly baseUrl: string;

  constructor(private readonly settings: TransportSettings) {
    this.baseUrl = settings.baseUrl.replace(/\/+$/, '');
  }

  async request<T>(call: HttpCall): Promise<HttpAnswer<T>> {
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt<T>(call);
      if (outcome.kind === 'answer') return outcome.answer;
      const retryable = call.retry === 'safe' ? outcome.mayRetrySafe : outcome.mayRetryUnsent;
      if (!retryable || attempt >= this.settings.retries) throw outcome.error;
      await this.backoff(attempt, outcome.retryAfterMs, call.signal);
    }
  }

  /** Waits before retry number `attempt + 1`: full jitter under a doubling ceiling, or what Retry-After asked for. */
  async backoff(attempt: number, retryAfterMs: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    const ceiling = Math.min(this.settings.maxRetryDelayMs, this.settings.retryDelayMs * 2 ** attempt);
    const delay = retryAfterMs !== undefined ? Math.min(retryAfterMs, this.settings.maxRetryDelayMs) : Math.floor(Math.random() * (ceiling + 1));
    await sleep(delay, signal);
  }

  private async attempt<T>(call: HttpCall): Promise<
    | { kind: 'answer'; answer: HttpAnswer<T> }
    | { kind: 'failure'; error: HalmError; mayRetrySafe: boolean; mayRetryUnsent: boolean; retryAfterMs?: number }
  > {
    call.signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(call.timeoutMs ?? this.settings.timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await this.settings.fetch(`${this.baseUrl}${call.path}`, {
        method: call.method,
        headers: {
          authorization: `Bearer ${this.settings.apiKey}`,
          accept: 'application/json, application/problem+json',
          ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        signal,
      });
      text = await response.text();
    } catch (error) {
      // The caller's own abort is not a failure of Halm: it ends the call as the caller asked.
      if (call.signal?.aborted) throw call.signal.reason;
      const timedOut = timeout.aborted;
      const refused = !timedOut && connectionRefused(error);
      const unavailable = new HalmUnavailableError(
        timedOut ? `No answer from Halm within ${call.timeoutMs ?? this.settings.timeoutMs} ms` : `Halm could not be reached: ${describe(error)}`,
        { code: timedOut ? 'TIMEOUT' : 'NETWORK', cause: error },
      );
      return { kind: 'failure', error: unavailable, mayRetrySafe: true, mayRetryUnsent: refused };
    }
    const body = parseBody(text);
    if (response.ok) return { kind: 'answer', answer: { status: response.status, body: body as T } };
    const error = errorFromResponse(response.status, body, text.slice(0, 500));
    const unavailable = response.status === 503;
    const retryAfterMs = unavailable ? retryAfterOf(response.headers.get('retry-after')) : undefined;
    return { kind: 'failure', error, mayRetrySafe: unavailable, mayRetryUnsent: unavailable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
}

const parseBody = (text: string): unknown => {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** Node's fetch reports a refused connection as a TypeError whose cause has the system code. */
const connectionRefused = (error: unknown): boolean => {
  for (let current: unknown = error, depth = 0; current && depth < 4; current = (current as { cause?: unknown }).cause, depth++) {
    if ((current as { code?: unknown }).code === 'ECONNREFUSED') return true;
  }
  return false;
};

const describe = (error: unknown): string => {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
};

const retryAfterOf = (header: string | null): number | undefined => {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
};

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
