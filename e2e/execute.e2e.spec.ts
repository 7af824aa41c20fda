import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionView, LedgerEvent } from '@halm/contracts';
import { actionDigest, signExecutionToken, signingKeyFrom, publicKeyOf, sha256Hex, type ExecutionTokenClaims } from '@halm/domain';
import { LedgerStore } from '@halm/messaging';
import { eventually, newSigningKey, stopProcesses } from '@halm/testing';
import { authorize, startE2eStack, type E2eStack } from './stack';

/** A webhook receiver that records every request and answers as the test tells it. */
class Receiver {
  readonly requests: { headers: IncomingMessage['headers']; body: string }[] = [];
  private server: Server | undefined;
  respond: (response: ServerResponse) => void = (response) => response.writeHead(200).end('ok');

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        this.respond(response);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const CONFIDENT = { confidenceScore: 0.95, agentId: 'ops-bot' };

/** How many execute requests an executor answered, from its Prometheus metrics. */
const executesHandled = async (executorUrl: string): Promise<number> => {
  const metrics = await (await fetch(`${executorUrl}/metrics`)).text();
  return metrics
    .split('\n')
    .filter((line) => line.startsWith('halm_nats_request_duration_seconds_count{') && line.includes('subject="executor.req.execute"'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
};

describe('the execution gate', () => {
  let halm: E2eStack;
  const receiver = new Receiver();
  let receiverUrl: string;

  beforeAll(async () => {
    receiverUrl = await receiver.start();
    halm = await startE2eStack(['policy-evaluator', 'ledger', 'executor', 'executor', 'lockdown-controller', 'gateway'], {
      EXECUTOR_LEASE_MS: '2000',
      EXECUTOR_HEARTBEAT_MS: '300',
      IN_DOUBT_SWEEP_MS: '300',
      WEBHOOK_TIMEOUT_MS: '20000',
      EXECUTE_TIMEOUT_MS: '8000',
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_INITIAL_BACKOFF_MS: '10',
      WEBHOOK_MAX_BACKOFF_MS: '50',
    });
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
    await receiver.stop();
  });

  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.respond = (response) => response.writeHead(200).end('ok');
  });

  const execute = (key: string, body: unknown) =>
    fetch(`${halm.gatewayUrl}/api/kernel/execute`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const allowed = async (key: string, action: { type: string; payload: Record<string, unknown> }) => {
    const response = await authorize(halm.gatewayUrl, key, { ...action, context: CONFIDENT });
    const decision = (await response.json()) as { proposalId: string; status: string; executionToken?: string };
    expect(decision.status).toBe('ALLOW');
    return decision as { proposalId: string; executionToken: string };
  };

  const ledgerOf = async (tenantId: string): Promise<LedgerEvent[]> => (await LedgerStore.open(halm.nats.connection, halm.nats.topology)).read(tenantId);

  const webhook = (payload: Record<string, unknown> = {}) => ({ type: 'webhook:send', payload: { url: `${receiverUrl}/orders`, event: 'order.paid', body: { orderId: 42 }, ...payload } });

  it('runs an allowed webhook once, signed, with its idempotency key, and records start and outcome under the decision', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const action = webhook();
    const { proposalId, executionToken } = await allowed(agentKey, action);

    const response = await execute(agentKey, { executionToken, idempotencyKey: 'order-42', action });

    expect(response.status).toBe(200);
    const view = (await response.json()) as ExecutionView;
    expect(view).toMatchObject({ proposalId, idempotencyKey: 'order-42', status: 'SUCCEEDED', performer: 'kernel', connector: 'webhook', result: expect.objectContaining({ status: 200 }) });
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request!.headers['idempotency-key']).toBe('order-42');
    expect(request!.headers['halm-execution-id']).toBe(view.executionId);
    expect(JSON.parse(request!.body)).toEqual({ orderId: 42 });
    // The receiver's check, written from docs/connectors.md: HMAC-SHA256 over `<idempotency key>.<t>.<body>`.
    const [, timestamp, signature] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request!.headers['halm-signature'])) ?? [];
    const expected = createHmac('sha256', halm.environment['WEBHOOK_SIGNING_SECRET']!).update(`order-42.${timestamp}.${request!.body}`).digest('hex');
    expect(signature).toBe(expected);

    const events = await ledgerOf(tenantId);
    const decision = events.find((event) => event.type === 'DecisionRecorded')!;
    const started = events.filter((event) => event.type === 'ExecutionStarted');
    const completed = events.filter((event) => event.type === 'ExecutionCompleted');
    expect(started).toHaveLength(1);
    expect(completed).toHaveLength(1);
    expect(started[0]!.data).toMatchObject({ proposalId, decisionHash: decision.hash, actionDigest: actionDigest('webhook:send', action.payload), performer: 'kernel' });
    expect(completed[0]!.data).toMatchObject({ executionId: view.executionId, decisionHash: decision.hash, outcome: 'SUCCEEDED' });
    expect(view.started).toEqual({ height: started[0]!.height, hash: started[0]!.hash, recordedAt: started[0]!.recordedAt });
  });

  it('answers 100 simultaneous executes with one key, over two executors, with one effect and 100 identical bodies', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const action = webhook({ body: { orderId: 100 } });
    const { executionToken } = await allowed(agentKey, action);
    // A slow receiver, so that the duplicates really arrive while the first is under way.
    receiver.respond = (response) => setTimeout(() => response.writeHead(200).end('ok'), 500);

    const responses = await Promise.all(Array.from({ length: 100 }, () => execute(agentKey, { executionToken, idempotencyKey: 'burst-1', action })));
    const bodies = await Promise.all(responses.map((response) => response.text()));

    expect(responses.map((response) => response.status)).toEqual(Array(100).fill(200));
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]!)).toMatchObject({ status: 'SUCCEEDED', idempotencyKey: 'burst-1' });
    expect(receiver.requests).toHaveLength(1);
    const events = await ledgerOf(tenantId);
    expect(events.filter((event) => event.type === 'ExecutionStarted')).toHaveLength(1);
    expect(events.filter((event) => event.type === 'ExecutionCompleted')).toHaveLength(1);
    // Both executor instances took part: each handled some of the hundred.
    const handled = await Promise.all(halm.stack.processes.filter((entry) => entry.service === 'executor').map((entry) => executesHandled(entry.url)));
    expect(handled).toHaveLength(2);
    expect(handled.every((count) => count > 0)).toBe(true);

    const retry = await execute(agentKey, { executionToken, idempotencyKey: 'burst-1', action });
    expect(await retry.text()).toBe(bodies[0]);
    expect(receiver.requests).toHaveLength(1);
  });

  it('leaves the effect to the agent for other types, and records the outcome it reports', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const action = { type: 'ledger:write', payload: { amount: 120, recipient: 'acme' } };
    const { executionToken } = await allowed(agentKey, action);

    const claimed = (await (await execute(agentKey, { executionToken, idempotencyKey: 'pay-1', action })).json()) as ExecutionView;
    expect(claimed).toMatchObject({ status: 'AWAITING_REPORT', performer: 'agent', connector: null, completed: null });

    const report = (outcome: string) =>
      fetch(`${halm.gatewayUrl}/api/kernel/executions/${claimed.executionId}/report`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agentKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ outcome, detail: { transferId: 'tr_981' } }),
      });
    const reported = await report('SUCCEEDED');
    expect(reported.status).toBe(200);
    const done = (await reported.json()) as ExecutionView;
    expect(done).toMatchObject({ status: 'SUCCEEDED', result: { transferId: 'tr_981' } });
    expect((await report('SUCCEEDED')).status).toBe(200);
    expect((await report('FAILED')).status).toBe(409);

    const byKey = await fetch(`${halm.gatewayUrl}/api/kernel/executions?idempotencyKey=pay-1`, { headers: { authorization: `Bearer ${agentKey}` } });
    expect(await byKey.json()).toEqual(done);
    expect((await ledgerOf(tenantId)).filter((event) => event.type.startsWith('Execution')).map((event) => event.type)).toEqual(['ExecutionStarted', 'ExecutionCompleted']);
  });

  describe('refuses tokens', () => {
    const payment = { type: 'ledger:write', payload: { amount: 120, recipient: 'acme' } };

    const refusal = async (response: Response) => ({ status: response.status, code: ((await response.json()) as { code?: string }).code });

    it('tampered with, signed by an unknown key, or expired', async () => {
      const { agentKey, tenantId } = await halm.createTenant('acme');
      const { executionToken, proposalId } = await allowed(agentKey, payment);
      const [header, claims, signature] = executionToken.split('.') as [string, string, string];
      const altered = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as ExecutionTokenClaims;
      const tampered = `${header}.${Buffer.from(JSON.stringify({ ...altered, exp: altered.exp + 3600 })).toString('base64url')}.${signature}`;

      expect(await refusal(await execute(agentKey, { executionToken: tampered, idempotencyKey: 't-1', action: payment }))).toEqual({ status: 403, code: 'TOKEN_INVALID' });
      expect(await refusal(await execute(agentKey, { executionToken: 'not.a.token', idempotencyKey: 't-2', action: payment }))).toEqual({ status: 403, code: 'TOKEN_INVALID' });

      const forger = signingKeyFrom(newSigningKey());
      const forged = signExecutionToken(altered, forger, sha256Hex(publicKeyOf(forger)).slice(0, 16));
      expect(await refusal(await execute(agentKey, { executionToken: forged, idempotencyKey: 't-3', action: payment }))).toEqual({ status: 403, code: 'TOKEN_INVALID' });

      const gatewayKey = signingKeyFrom(halm.environment['EXECUTION_TOKEN_SIGNING_KEY']!);
      const now = Math.floor(Date.now() / 1000);
      const expired = signExecutionToken({ ...altered, iat: now - 600, exp: now - 300 }, gatewayKey, sha256Hex(publicKeyOf(gatewayKey)).slice(0, 16));
      expect(await refusal(await execute(agentKey, { executionToken: expired, idempotencyKey: 't-4', action: payment }))).toEqual({ status: 403, code: 'TOKEN_EXPIRED' });

      // None of it reached the ledger.
      expect((await ledgerOf(tenantId)).some((event) => event.type === 'ExecutionStarted')).toBe(false);
      expect(proposalId).toMatch(/^prop_/);
    });

    it('replayed, for another tenant, or for another action', async () => {
      const acme = await halm.createTenant('acme');
      const globex = await halm.createTenant('globex');
      const { executionToken } = await allowed(acme.agentKey, payment);

      expect(await refusal(await execute(globex.agentKey, { executionToken, idempotencyKey: 'x-1', action: payment }))).toEqual({ status: 403, code: 'TOKEN_WRONG_TENANT' });
      const bigger = { ...payment, payload: { ...payment.payload, amount: 9_000 } };
      expect(await refusal(await execute(acme.agentKey, { executionToken, idempotencyKey: 'x-2', action: bigger }))).toEqual({ status: 403, code: 'TOKEN_WRONG_ACTION' });

      expect((await execute(acme.agentKey, { executionToken, idempotencyKey: 'x-3', action: payment })).status).toBe(200);
      expect(await refusal(await execute(acme.agentKey, { executionToken, idempotencyKey: 'x-4', action: payment }))).toEqual({ status: 409, code: 'TOKEN_ALREADY_USED' });

      // The same key for another action is a mistake the agent must hear about.
      const other = await allowed(acme.agentKey, { ...payment, payload: { amount: 5, recipient: 'acme' } });
      expect(await refusal(await execute(acme.agentKey, { executionToken: other.executionToken, idempotencyKey: 'x-3', action: { ...payment, payload: { amount: 5, recipient: 'acme' } } }))).toEqual({
        status: 422,
        code: 'IDEMPOTENCY_KEY_REUSED',
      });
    });

    it('for a proposal that waits for a human, until it is approved', async () => {
      const { agentKey, tenantId } = await halm.createTenant('acme');
      const approverKey = await halm.issueKey(tenantId, ['approver']);
      const large = { type: 'ledger:write', payload: { amount: 50_000, recipient: 'acme' } };
      const decision = (await (await authorize(halm.gatewayUrl, agentKey, { ...large, context: CONFIDENT })).json()) as { proposalId: string; status: string; executionToken?: string };
      expect(decision).toMatchObject({ status: 'REQUIRE_HUMAN' });
      expect(decision.executionToken).toBeUndefined();

      // A token for the decision itself (as a forger with the gateway's key might make) is not enough.
      const decided = (await ledgerOf(tenantId)).find((event) => event.type === 'DecisionRecorded')!;
      const gatewayKey = signingKeyFrom(halm.environment['EXECUTION_TOKEN_SIGNING_KEY']!);
      const now = Math.floor(Date.now() / 1000);
      const claims: ExecutionTokenClaims = { iss: 'halm', tid: tenantId, pid: decision.proposalId, dh: decided.hash, ad: actionDigest('ledger:write', large.payload), iat: now, exp: now + 60, jti: 'tok_early' };
      const early = signExecutionToken(claims, gatewayKey, sha256Hex(publicKeyOf(gatewayKey)).slice(0, 16));
      expect(await refusal(await execute(agentKey, { executionToken: early, idempotencyKey: 'h-1', action: large }))).toEqual({ status: 409, code: 'NOT_EXECUTABLE' });

      const pending = (await (await fetch(`${halm.gatewayUrl}/api/kernel/proposals/${decision.proposalId}`, { headers: { authorization: `Bearer ${agentKey}` } })).json()) as { executionToken?: string };
      expect(pending.executionToken).toBeUndefined();
      const approved = await fetch(`${halm.gatewayUrl}/api/kernel/proposals/${decision.proposalId}/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${approverKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'checked' }),
      });
      expect(approved.status).toBe(200);
      const token = await eventually(async () => {
        const view = (await (await fetch(`${halm.gatewayUrl}/api/kernel/proposals/${decision.proposalId}`, { headers: { authorization: `Bearer ${agentKey}` } })).json()) as { executionToken?: string };
        return view.executionToken;
      }, 5_000, 'a token after approval');

      const executed = await execute(agentKey, { executionToken: token, idempotencyKey: 'h-2', action: large });
      expect(executed.status).toBe(200);
      const approval = (await ledgerOf(tenantId)).find((event) => event.type === 'ProposalApproved')!;
      expect(((await executed.json()) as ExecutionView).decisionHash).toBe(approval.hash);
    });
  });

  it('resolves an execution whose executor died midway as IN_DOUBT, and never performs it again', async () => {
    const { agentKey, tenantId } = await halm.createTenant('acme');
    const action = webhook({ body: { orderId: 7 } });
    const { executionToken } = await allowed(agentKey, action);
    // The receiver takes the request and never answers: the executor is killed while it waits.
    receiver.respond = () => undefined;
    const first = execute(agentKey, { executionToken, idempotencyKey: 'doomed', action }).then((response) => response.status);
    await eventually(async () => (receiver.requests.length === 1 ? true : undefined), 10_000, 'the webhook request');
    const performer = await eventually(async () => {
      const started = (await ledgerOf(tenantId)).find((event) => event.type === 'ExecutionStarted');
      return started ? (started.data as { executorId: string }).executorId : undefined;
    }, 5_000, 'the ExecutionStarted event');
    const victim = [...halm.stack.processes].find((entry) => entry.service === 'executor' && performer.endsWith(`-${new URL(entry.url).port}`))!;
    expect(victim).toBeDefined();
    victim.process.kill('SIGKILL');
    expect(await first).toBe(503);

    // The surviving executor sees the heartbeat lapse and records the outcome as unknown.
    const resolved = await eventually(async () => {
      const completed = (await ledgerOf(tenantId)).find((event) => event.type === 'ExecutionCompleted');
      return completed?.data as { outcome: string; result: { abandonedBy: string } } | undefined;
    }, 20_000, 'the in-doubt resolution');
    expect(resolved).toMatchObject({ outcome: 'IN_DOUBT', result: { abandonedBy: performer } });

    receiver.respond = (response) => response.writeHead(200).end('ok');
    const retry = await execute(agentKey, { executionToken, idempotencyKey: 'doomed', action });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ status: 'IN_DOUBT' });
    expect(receiver.requests).toHaveLength(1);
    expect((await ledgerOf(tenantId)).filter((event) => event.type === 'ExecutionStarted')).toHaveLength(1);
  });

  it('refuses every new execution while the tenant is locked down, records the attempt, and still answers what was recorded before', async () => {
    const { agentKey, tenantId } = await halm.createTenant('acme');
    const adminKey = await halm.issueKey(tenantId, ['admin']);
    const payment = { type: 'ledger:write', payload: { amount: 3, recipient: 'acme' } };
    const before = await allowed(agentKey, payment);
    const during = await allowed(agentKey, { ...payment, payload: { amount: 4, recipient: 'acme' } });
    const first = await execute(agentKey, { executionToken: before.executionToken, idempotencyKey: 'pre-lockdown', action: payment });
    expect(first.status).toBe(200);
    const firstBody = await first.text();

    const lockdown = (path: string, body: unknown) =>
      fetch(`${halm.gatewayUrl}/api/admin/lockdown${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await lockdown('', { scope: 'tenant', reason: 'investigating a leak' })).status).toBeLessThan(300);

    const refused = await execute(agentKey, { executionToken: during.executionToken, idempotencyKey: 'in-lockdown', action: { ...payment, payload: { amount: 4, recipient: 'acme' } } });
    expect(refused.status).toBe(423);
    expect(await refused.json()).toMatchObject({ code: 'LOCKDOWN_ACTIVE', detail: expect.stringContaining('investigating a leak') });
    const replayed = await execute(agentKey, { executionToken: before.executionToken, idempotencyKey: 'pre-lockdown', action: payment });
    expect(await replayed.text()).toBe(firstBody);
    const anomaly = await eventually(
      async () => (await ledgerOf(tenantId)).find((event) => event.type === 'AnomalyRecorded' && (event.data as { kind: string }).kind === 'EXECUTION_DURING_LOCKDOWN'),
      5_000,
      'the anomaly',
    );
    expect(anomaly.data).toMatchObject({ severity: 'critical', evidence: { refusal: 'LOCKDOWN_ACTIVE', idempotencyKey: 'in-lockdown' } });

    expect((await lockdown('/release', { scope: 'tenant', reason: 'leak ruled out' })).status).toBeLessThan(300);
    const after = await eventually(async () => {
      const response = await execute(agentKey, { executionToken: during.executionToken, idempotencyKey: 'after-lockdown', action: { ...payment, payload: { amount: 4, recipient: 'acme' } } });
      return response.status === 200 ? response : undefined;
    }, 5_000, 'an execution after the release');
    expect(((await after.json()) as ExecutionView).status).toBe('AWAITING_REPORT');
  });

  // Last: it replaces the executors. The order of a rotation matters: executors first learn the
  // new key (and keep the old one), only then do gateways sign with it; otherwise old executors
  // would refuse new tokens as invalid, which counts as an anomaly.
  it('rotates the token key: executors that list both keys honour tokens of the old and the new gateway', async () => {
    const { agentKey, tenantId } = await halm.createTenant('acme');
    const oldKey = signingKeyFrom(halm.environment['EXECUTION_TOKEN_SIGNING_KEY']!);
    const newKeyText = newSigningKey();
    const newKey = signingKeyFrom(newKeyText);
    const payment = { type: 'ledger:write', payload: { amount: 7, recipient: 'acme' } };
    const fromOld = await allowed(agentKey, payment);

    // Step 1: executors that list both keys replace the ones that know only the old key.
    const rotatedExecutors = await halm.startMore(['executor'], { EXECUTION_TOKEN_PUBLIC_KEYS: `${publicKeyOf(oldKey)},${publicKeyOf(newKey)}` });
    const oldExecutors = halm.stack.processes.filter((entry) => entry.service === 'executor' && entry.process.exitCode === null && entry.process.signalCode === null);
    await stopProcesses(oldExecutors.map((entry) => entry.process));
    // Step 2: a gateway signs with the new key.
    const rotatedGateway = await halm.startMore(['gateway'], { EXECUTION_TOKEN_SIGNING_KEY: newKeyText });
    const fromNew = (await (await authorize(rotatedGateway.urls.gateway!, agentKey, { ...payment, payload: { amount: 8, recipient: 'acme' }, context: CONFIDENT })).json()) as {
      executionToken: string;
    };
    const kidOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string }).kid;
    expect(kidOf(fromNew.executionToken)).toBe(sha256Hex(publicKeyOf(newKey)).slice(0, 16));
    expect(kidOf(fromOld.executionToken)).toBe(sha256Hex(publicKeyOf(oldKey)).slice(0, 16));

    const oldToken = await execute(agentKey, { executionToken: fromOld.executionToken, idempotencyKey: 'rot-old', action: payment });
    const newToken = await execute(agentKey, { executionToken: fromNew.executionToken, idempotencyKey: 'rot-new', action: { ...payment, payload: { amount: 8, recipient: 'acme' } } });
    expect([oldToken.status, newToken.status]).toEqual([200, 200]);
    expect((await ledgerOf(tenantId)).filter((event) => event.type === 'ExecutionStarted')).toHaveLength(2);
    expect(rotatedExecutors.processes).toHaveLength(1);
  });
});
