import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectorAbortedError, type ConnectorCall } from '../connector';
import { WebhookConnector, type WebhookConnectorOptions, type WebhookResult } from './webhook.connector';
import { verifyWebhookSignature } from './webhook-signature';

const SECRET = 'whsec-test-0123456789abcdef0123456789';

const OPTIONS: WebhookConnectorOptions = { signingSecret: SECRET, timeoutMs: 2_000, maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 5 };

interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type Reply = (response: ServerResponse) => void;

const answer =
  (status: number, body = '', headers: Record<string, string> = {}): Reply =>
  (response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(body);
  };
const neverAnswer: Reply = () => undefined;

/** A real HTTP receiver on an ephemeral port; the nth request gets the nth reply (the last one repeats). */
const startReceiver = async (...replies: Reply[]) => {
  const received: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks) });
      const reply = replies[received.length - 1] ?? replies.at(-1) ?? answer(204);
      reply(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    [Symbol.asyncDispose]: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
};

const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
};

const call = (payload: Record<string, unknown>): ConnectorCall => ({
  tenantId: 'ten_acme',
  proposalId: 'prop_1',
  executionId: 'exe_1',
  idempotencyKey: 'order-42-shipped',
  payload,
});

const nowSeconds = () => Math.floor(Date.now() / 1_000);

describe('WebhookConnector', () => {
  it('posts the body as JSON, signed so that the shared secret verifies it and another secret does not', async () => {
    await using receiver = await startReceiver(answer(204));
    const connector = new WebhookConnector(OPTIONS);

    const { outcome } = await connector.perform(call({ url: receiver.url, event: 'order.shipped', body: { orderId: 42, note: 'café' } }));

    expect(outcome).toBe('SUCCEEDED');
    const [request] = receiver.received;
    expect(JSON.parse(request!.body.toString('utf8'))).toEqual({ orderId: 42, note: 'café' });
    const check = { signatureHeader: String(request!.headers['halm-signature']), idempotencyKey: 'order-42-shipped', body: request!.body, nowSeconds: nowSeconds(), toleranceSeconds: 300 };
    expect(verifyWebhookSignature({ ...check, secret: SECRET })).toMatchObject({ valid: true });
    expect(verifyWebhookSignature({ ...check, secret: 'another-secret-0123456789abcdef0123' })).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('sends the idempotency key, the execution id, the event and the content type', async () => {
    await using receiver = await startReceiver(answer(200));

    await new WebhookConnector(OPTIONS).perform(call({ url: receiver.url, event: 'order.shipped', body: [1, 2] }));

    expect(receiver.received[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      'idempotency-key': 'order-42-shipped',
      'halm-execution-id': 'exe_1',
      'halm-event': 'order.shipped',
    });
  });

  it('sends an empty JSON object when the payload has no body, and no Halm-Event without an event', async () => {
    await using receiver = await startReceiver(answer(200));

    await new WebhookConnector(OPTIONS).perform(call({ url: receiver.url }));

    expect(receiver.received[0]!.body.toString('utf8')).toBe('{}');
    expect(receiver.received[0]!.headers['halm-event']).toBeUndefined();
  });

  it('succeeds after two 500s on the third attempt, recording each status', async () => {
    await using receiver = await startReceiver(answer(500), answer(500), answer(200, '{"ok":true}'));

    const { outcome, result } = await new WebhookConnector(OPTIONS).perform(call({ url: receiver.url, body: { n: 1 } }));

    expect(outcome).toBe('SUCCEEDED');
    expect(result).toMatchObject({ status: 200, responseBytes: 11, failure: null });
    expect((result as unknown as WebhookResult).attempts.map((attempt) => attempt.status)).toEqual([500, 500, 200]);
  });

  it('sends the same bytes on every attempt, each with a fresh valid signature', async () => {
    await using receiver = await startReceiver(answer(503), answer(200));

    await new WebhookConnector(OPTIONS).perform(call({ url: receiver.url, body: { n: 1 } }));

    const [first, second] = receiver.received;
    expect(second!.body.equals(first!.body)).toBe(true);
    for (const request of [first!, second!]) {
      const verdict = verifyWebhookSignature({ secret: SECRET, signatureHeader: String(request.headers['halm-signature']), idempotencyKey: 'order-42-shipped', body: request.body, nowSeconds: nowSeconds(), toleranceSeconds: 300 });
      expect(verdict.valid).toBe(true);
    }
  });

  it('fails after one attempt on a 400, recording the status and the length of the response', async () => {
    await using receiver = await startReceiver(answer(400, '{"error":"bad"}'));

    const { outcome, result } = await new WebhookConnector(OPTIONS).perform(call({ url: receiver.url }));

    expect(outcome).toBe('FAILED');
    expect(result).toMatchObject({ status: 400, responseBytes: 15, failure: 'HTTP 400 is not retried' });
    expect(result['attempts']).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
  });

  it('fails after the last attempt when every one is a 5xx', async () => {
    await using receiver = await startReceiver(answer(502));

    const { outcome, result } = await new WebhookConnector(OPTIONS).perform(call({ url: receiver.url }));

    expect(outcome).toBe('FAILED');
    expect(result).toMatchObject({ status: 502, failure: 'HTTP 502 after 3 attempts' });
    expect(receiver.received).toHaveLength(3);
  });

  it('times out each attempt against a receiver that never answers, and fails after the last', async () => {
    await using receiver = await startReceiver(neverAnswer);

    const { outcome, result } = await new WebhookConnector({ ...OPTIONS, timeoutMs: 50 }).perform(call({ url: receiver.url }));

    expect(outcome).toBe('FAILED');
    const { attempts, status } = result as unknown as WebhookResult;
    expect(status).toBeNull();
    expect(attempts.map((attempt) => attempt.error)).toEqual(['timeout', 'timeout', 'timeout']);
  });

  it('retries a refused connection, then fails naming the error', async () => {
    const port = await closedPort();

    const { outcome, result } = await new WebhookConnector(OPTIONS).perform(call({ url: `http://127.0.0.1:${port}/hooks` }));

    expect(outcome).toBe('FAILED');
    const { attempts } = result as unknown as WebhookResult;
    expect(attempts).toHaveLength(3);
    expect(attempts.every((attempt) => attempt.error === 'connection' && attempt.code === 'ECONNREFUSED')).toBe(true);
    expect(result['failure']).toBe('connection after 3 attempts');
  });

  it("waits for a 429's Retry-After, no longer than the longest backoff", async () => {
    await using receiver = await startReceiver(answer(429, '', { 'retry-after': '0' }), answer(429, '', { 'retry-after': '3600' }), answer(200));

    const { outcome, result } = await new WebhookConnector({ ...OPTIONS, maxBackoffMs: 20 }).perform(call({ url: receiver.url }));

    expect(outcome).toBe('SUCCEEDED');
    const { attempts } = result as unknown as WebhookResult;
    expect(attempts.map(({ status, delayMs }) => ({ status, delayMs }))).toEqual([
      { status: 429, delayMs: 0 },
      { status: 429, delayMs: 0 },
      { status: 200, delayMs: 20 },
    ]);
  });

  it('does not let caller headers replace the signature, the idempotency key or the content type', async () => {
    await using receiver = await startReceiver(answer(200));
    const headers = { 'Halm-Signature': 't=1,v1=forged', 'Idempotency-Key': 'other-key', 'Content-Type': 'text/plain', 'Halm-Execution-Id': 'exe_forged', 'X-Order-Ref': 'A-17' };

    const { result } = await new WebhookConnector(OPTIONS).perform(call({ url: receiver.url, headers, body: { n: 1 } }));

    const request = receiver.received[0]!;
    expect(request.headers).toMatchObject({ 'idempotency-key': 'order-42-shipped', 'content-type': 'application/json', 'halm-execution-id': 'exe_1', 'x-order-ref': 'A-17' });
    const verdict = verifyWebhookSignature({ secret: SECRET, signatureHeader: String(request.headers['halm-signature']), idempotencyKey: 'order-42-shipped', body: request.body, nowSeconds: nowSeconds(), toleranceSeconds: 300 });
    expect(verdict.valid).toBe(true);
    expect(result['droppedHeaders']).toEqual(['halm-signature', 'idempotency-key', 'content-type', 'halm-execution-id']);
  });

  it('drops caller headers that are not valid HTTP instead of failing the request', async () => {
    await using receiver = await startReceiver(answer(200));
    const headers = { 'X-Split': 'a\r\nInjected: yes', 'Bad Name': 'x', 'X-Number': 7, 'X-Fine': 'ok' };

    const { outcome, result } = await new WebhookConnector(OPTIONS).perform(call({ url: receiver.url, headers }));

    expect(outcome).toBe('SUCCEEDED');
    expect(receiver.received[0]!.headers).toMatchObject({ 'x-fine': 'ok' });
    expect(receiver.received[0]!.headers['injected']).toBeUndefined();
    expect(result['droppedHeaders']).toEqual(['x-split', 'bad name', 'x-number']);
  });

  it('does not follow a redirect, failing with its status after one attempt', async () => {
    await using receiver = await startReceiver(answer(307, '', { location: '/elsewhere' }));

    const { outcome, result } = await new WebhookConnector(OPTIONS).perform(call({ url: receiver.url }));

    expect(outcome).toBe('FAILED');
    expect(result).toMatchObject({ status: 307, failure: 'HTTP 307: redirects are not followed' });
    expect(receiver.received.map((request) => request.path)).toEqual(['/hooks']);
  });

  it('fails without sending when the url carries credentials', async () => {
    const { outcome, result } = await new WebhookConnector(OPTIONS).perform(call({ url: 'http://user:secret@127.0.0.1:9/hooks' }));

    expect(outcome).toBe('FAILED');
    expect(result).toMatchObject({ status: null, attempts: [] });
    expect(JSON.stringify(result)).not.toContain('secret');
  });

  it('records only JSON with whole-number durations, and neither the url nor header values', async () => {
    await using receiver = await startReceiver(answer(500), answer(201, 'created'));

    const { result } = await new WebhookConnector(OPTIONS).perform(call({ url: `${receiver.url}?token=s3cr3t`, headers: { Authorization: 'Bearer s3cr3t' } }));

    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    const { attempts, durationMs } = result as unknown as WebhookResult;
    expect([durationMs, ...attempts.flatMap((attempt) => [attempt.durationMs, attempt.delayMs])].every(Number.isInteger)).toBe(true);
    expect(JSON.stringify(result)).not.toContain('s3cr3t');
  });

  it('rejects as aborted, possibly performed, when aborted while a request is in flight', async () => {
    await using receiver = await startReceiver(neverAnswer);
    const controller = new AbortController();
    const performing = new WebhookConnector(OPTIONS).perform(call({ url: receiver.url }), controller.signal);
    await waitFor(() => receiver.received.length === 1);

    controller.abort();

    const error = await performing.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectorAbortedError);
    expect(error).toMatchObject({ mayHaveTakenEffect: true, partialResult: { failure: 'aborted' } });
  });

  it('rejects as aborted, not performed, when aborted before the first attempt', async () => {
    const controller = new AbortController();
    controller.abort();

    const error = await new WebhookConnector(OPTIONS).perform(call({ url: 'http://127.0.0.1:9/hooks' }), controller.signal).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: 'ConnectorAbortedError', mayHaveTakenEffect: false });
  });

  it('refuses a short signing secret and impossible retry settings', () => {
    expect(() => new WebhookConnector({ ...OPTIONS, signingSecret: 'short' })).toThrow(/signingSecret/);
    expect(() => new WebhookConnector({ ...OPTIONS, maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => new WebhookConnector({ ...OPTIONS, maxBackoffMs: 0, initialBackoffMs: 10 })).toThrow(/maxBackoffMs/);
  });
});

const waitFor = async (condition: () => boolean, deadlineMs = 2_000) => {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};
