import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LedgerEvent } from '@halm/contracts';
import { LedgerStore } from '@halm/messaging';
import {
  Halm,
  HalmApprovalTimeoutError,
  HalmAuthError,
  HalmDeniedError,
  HalmRejectedError,
  HalmTokenError,
  HalmValidationError,
  type ExecutionView,
  type HalmOptions,
} from '@halm/sdk';
import { eventually } from '@halm/testing';
import { startE2eStack, type E2eStack } from './stack';

const CONFIDENT = { agentId: 'payments-bot', confidenceScore: 0.92 };

describe('the SDK against the running services', () => {
  let halm: E2eStack;
  let receiver: Server;
  let receiverUrl: string;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    halm = await startE2eStack(['policy-evaluator', 'ledger', 'executor', 'gateway']);
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const client = (apiKey: string, options: Partial<HalmOptions> = {}) => new Halm({ baseUrl: halm.gatewayUrl, apiKey, retryDelayMs: 10, ...options });
  const ledgerOf = async (tenantId: string): Promise<LedgerEvent[]> => (await LedgerStore.open(halm.nats.connection, halm.nats.topology)).read(tenantId);
  /** An approver's verdict, once the proposal is in the projection the approvals read (404 until then). */
  const settle = (approverKey: string, proposalId: string, verdict: 'approve' | 'reject', reason: string) =>
    eventually(async () => {
      const response = await fetch(`${halm.gatewayUrl}/api/kernel/proposals/${proposalId}/${verdict}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${approverKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason }),
      });
      return response.status === 404 ? undefined : response.status;
    }, 10_000, `the ${verdict} of ${proposalId}`);
  const typesOf = (events: LedgerEvent[]) => events.map((event) => event.type).filter((type) => type !== 'PolicyPublished' && type !== 'PolicyActivated');

  it('guards an agent-performed payment end to end: authorize, execute, the effect, report', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const effect = jest.fn((payment: { amount: number; recipient: string }, execution: ExecutionView) => ({ transferId: `tr-${payment.amount}`, executionId: execution.executionId }));
    const pay = client(agentKey).guard('ledger:write', effect, { context: CONFIDENT, reportDetail: (receipt) => ({ transferId: receipt.transferId }) });

    const receipt = await pay({ amount: 120, recipient: 'acme', currency: 'EUR' });

    expect(receipt.transferId).toBe('tr-120');
    expect(effect).toHaveBeenCalledTimes(1);
    const events = await ledgerOf(tenantId);
    expect(typesOf(events)).toEqual(['DecisionRecorded', 'ExecutionStarted', 'ExecutionCompleted']);
    const [decision, started, completed] = events.filter((event) => typesOf([event]).length > 0);
    expect(started!.data).toMatchObject({ executionId: receipt.executionId, decisionHash: decision!.hash, performer: 'agent' });
    expect(completed!.data).toMatchObject({ executionId: receipt.executionId, outcome: 'SUCCEEDED', result: { transferId: 'tr-120' } });
    // The execution the effect ran under, as any reader of the ledger sees it.
    expect(await client(agentKey).getExecution(receipt.executionId)).toMatchObject({ status: 'SUCCEEDED', performer: 'agent', idempotencyKey: effect.mock.calls[0]![1].proposalId });
  });

  it('waits while a human decides, and runs the effect once an approver approves mid-wait', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const approverKey = await halm.issueKey(tenantId, ['approver']);
    let longPollStarted!: () => void;
    const waiting = new Promise<void>((resolve) => (longPollStarted = resolve));
    // Tells the test when the SDK is inside its long poll, so the approval lands mid-wait.
    const watchingFetch: typeof fetch = (input, init) => {
      if (String(input).includes('?waitMs=')) longPollStarted();
      return fetch(input, init);
    };
    const onApprovalRequired = jest.fn();
    const effect = jest.fn(() => 'paid');
    const pay = client(agentKey, { fetch: watchingFetch }).guard('ledger:write', effect, { context: CONFIDENT, onApprovalRequired, approvalTimeoutMs: 30_000 });

    const paying = pay({ amount: 50_000, recipient: 'globex' });
    await waiting;
    expect(effect).not.toHaveBeenCalled();
    const [decision] = onApprovalRequired.mock.calls[0]! as [{ proposalId: string; status: string }];
    expect(decision.status).toBe('REQUIRE_HUMAN');
    expect(await settle(approverKey, decision.proposalId, 'approve', 'checked with finance')).toBe(200);

    expect(await paying).toBe('paid');
    expect(effect).toHaveBeenCalledTimes(1);
    expect(typesOf(await ledgerOf(tenantId))).toEqual(['DecisionRecorded', 'ProposalApproved', 'ExecutionStarted', 'ExecutionCompleted']);
  });

  it('throws HalmRejectedError with the approver’s reason when the proposal is rejected while it waits', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const approverKey = await halm.issueKey(tenantId, ['approver']);
    const effect = jest.fn();
    let rejection: Promise<number> | undefined;
    const pay = client(agentKey).guard('ledger:write', effect, {
      context: CONFIDENT,
      approvalTimeoutMs: 30_000,
      onApprovalRequired: (decision) => (rejection = settle(approverKey, decision.proposalId, 'reject', 'not this vendor')),
    });

    const attempt = pay({ amount: 60_000, recipient: 'globex' });

    await expect(attempt).rejects.toBeInstanceOf(HalmRejectedError);
    expect(await rejection).toBe(200);
    await expect(attempt).rejects.toMatchObject({ lifecycle: 'REJECTED', reason: 'not this vendor' });
    expect(effect).not.toHaveBeenCalled();
  });

  it('throws HalmDeniedError with the policy’s reasons and never runs the effect', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const effect = jest.fn();
    const pay = client(agentKey).guard('ledger:write', effect, { context: CONFIDENT });

    const attempt = pay({ amount: 75, recipient: 'initech' }, { context: { confidenceScore: 0.1 } });

    await expect(attempt).rejects.toBeInstanceOf(HalmDeniedError);
    const denial = (await attempt.catch((error: unknown) => error)) as HalmDeniedError;
    expect(denial.proposalId).toMatch(/^prop_[0-9a-f]{24}$/);
    expect(denial.reasons.join(' ')).toContain('0.3');
    expect(effect).not.toHaveBeenCalled();
    expect(typesOf(await ledgerOf(tenantId))).toEqual(['DecisionRecorded']);
  });

  it('retries an execute whose response was lost with the same key, and gets the first answer; the effect is recorded once', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const firstAnswers: string[] = [];
    // The gateway executes and answers, but the answer never reaches the SDK: a connection reset after the fact.
    const losingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).endsWith('/api/kernel/execute') && firstAnswers.length === 0) {
        firstAnswers.push(await response.text());
        throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
      }
      return response;
    };
    const sdk = client(agentKey, { fetch: losingFetch });
    const action = { type: 'ledger:write' as const, payload: { amount: 120, recipient: 'acme' } };
    const decision = await sdk.authorize({ ...action, context: CONFIDENT });
    if (!decision.allowed) throw new Error(`expected ALLOW, got ${decision.status}`);

    const execution = await sdk.execute({ executionToken: decision.executionToken, idempotencyKey: 'order-42', action });

    expect(firstAnswers).toHaveLength(1);
    expect(execution).toEqual(JSON.parse(firstAnswers[0]!));
    expect(execution).toMatchObject({ idempotencyKey: 'order-42', status: 'AWAITING_REPORT', proposalId: decision.proposalId });
    expect(typesOf(await ledgerOf(tenantId))).toEqual(['DecisionRecorded', 'ExecutionStarted']);

    const reported = await sdk.report(execution.executionId, 'SUCCEEDED', { transferId: 'tr-1' });
    expect(reported).toMatchObject({ status: 'SUCCEEDED', result: { transferId: 'tr-1' } });
    expect(await sdk.report(execution.executionId, 'SUCCEEDED', { transferId: 'tr-1' })).toEqual(reported);
  });

  it('guards a webhook the kernel sends itself, with the proposal id as its idempotency key', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    received.length = 0;
    const notify = client(agentKey).guard('webhook:send', { context: CONFIDENT });

    const execution = await notify({ url: `${receiverUrl}/orders`, event: 'order.paid', body: { orderId: 7 } });

    expect(execution).toMatchObject({ status: 'SUCCEEDED', performer: 'kernel', connector: 'webhook', idempotencyKey: execution.proposalId, result: expect.objectContaining({ status: 200 }) });
    expect(received).toHaveLength(1);
    expect(received[0]!.headers['idempotency-key']).toBe(execution.proposalId);
    expect(JSON.parse(received[0]!.body)).toEqual({ orderId: 7 });
    expect(typesOf(await ledgerOf(tenantId))).toEqual(['DecisionRecorded', 'ExecutionStarted', 'ExecutionCompleted']);
  });

  it('answers the gateway’s refusals as typed errors', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const auditorKey = await halm.issueKey(tenantId, ['auditor']);
    const sdk = client(agentKey);

    const invalid = await sdk.authorize({ type: 'ledger:write', payload: { recipient: 'acme' } as never }).catch((error: unknown) => error);
    expect(invalid).toBeInstanceOf(HalmValidationError);
    expect((invalid as HalmValidationError).invalidParams).toContainEqual(expect.objectContaining({ name: 'payload.amount' }));

    await expect(client('halm_not_a_key').authorize({ type: 'task:create', payload: { title: 'x' } })).rejects.toMatchObject({ name: 'HalmAuthError', status: 401 });
    await expect(client(auditorKey).authorize({ type: 'task:create', payload: { title: 'x' } })).rejects.toBeInstanceOf(HalmAuthError);

    const action = { type: 'task:create' as const, payload: { title: 'Follow up with acme' } };
    const decision = await sdk.authorize({ ...action, context: CONFIDENT });
    if (!decision.allowed) throw new Error(`expected ALLOW, got ${decision.status}`);
    await sdk.execute({ executionToken: decision.executionToken, action });
    // The same token again, under a new key: a replay.
    await expect(sdk.execute({ executionToken: decision.executionToken, action })).rejects.toMatchObject({ name: 'HalmTokenError', status: 409, code: 'TOKEN_ALREADY_USED' });
    await expect(sdk.execute({ executionToken: decision.executionToken, action: { ...action, payload: { title: 'Something else' } } })).rejects.toBeInstanceOf(HalmTokenError);
  });

  it('stops waiting for a decision that does not come with HalmApprovalTimeoutError', async () => {
    const { agentKey } = await halm.createTenant('acme');
    const sdk = client(agentKey);
    const decision = await sdk.authorize({ type: 'ledger:write', payload: { amount: 20_000, recipient: 'acme' }, context: CONFIDENT });
    expect(decision.status).toBe('REQUIRE_HUMAN');

    const waiting = sdk.waitForDecision(decision.proposalId, { timeoutMs: 300 });

    await expect(waiting).rejects.toBeInstanceOf(HalmApprovalTimeoutError);
    await expect(waiting).rejects.toMatchObject({ proposalId: decision.proposalId, proposal: { lifecycle: 'PENDING_APPROVAL' } });
  });
});
