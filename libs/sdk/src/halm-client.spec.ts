import {
  HalmApprovalRequiredError,
  HalmApprovalTimeoutError,
  HalmDeniedError,
  HalmExecutionError,
  HalmLockdownError,
  HalmRejectedError,
  HalmReportError,
  HalmTokenError,
  HalmUnavailableError,
} from './errors';
import { Halm } from './halm-client';
import type { AuthorizeResponse, ExecutionView, ProposalView } from './wire-types';

interface SentRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

type Answer = Response | Error | ((request: SentRequest) => Response | Error);

/** A gateway that answers each request with the next scripted answer, and remembers what it was sent. */
const scriptedGateway = (...answers: Answer[]) => {
  const sent: SentRequest[] = [];
  const fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const parsed = new URL(String(url));
    const request: SentRequest = {
      method: init?.method ?? 'GET',
      path: parsed.pathname + parsed.search,
      headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>)),
      body: typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : undefined,
    };
    sent.push(request);
    const next = answers.shift();
    if (!next) throw new Error(`unexpected request ${request.method} ${request.path}`);
    const answer = typeof next === 'function' ? next(request) : next;
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { fetch: fetch as typeof globalThis.fetch, sent, remaining: () => answers.length };
};

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers } });

const problem = (status: number, detail: string, extensions: Record<string, unknown> = {}) => json(status, { type: 'about:blank', title: 'Error', status, detail, ...extensions });

/** What Node's fetch throws when the connection broke after the request went out. */
const connectionReset = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
const connectionRefused = () => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });

const halmWith = (fetch: typeof globalThis.fetch, retries = 4) => new Halm({ baseUrl: 'http://halm.test/', apiKey: 'key-1', fetch, retries, retryDelayMs: 1, maxRetryDelayMs: 5 });

const decision = (overrides: Partial<AuthorizeResponse> = {}): AuthorizeResponse =>
  ({
    proposalId: 'prop_1',
    status: 'ALLOW',
    allowed: true,
    reasons: ['Action complies with active policy manifest'],
    constraints: {},
    vetoDeadline: null,
    humanApprovalRequired: false,
    decidedAt: '2026-11-21T10:00:00.000Z',
    executionToken: 'token-1',
    ...overrides,
  }) as AuthorizeResponse;

const execution = (overrides: Partial<ExecutionView> = {}): ExecutionView => ({
  executionId: 'exe_0123456789abcdef0123456789abcdef',
  proposalId: 'prop_1',
  idempotencyKey: 'prop_1',
  actionType: 'ledger:write',
  status: 'AWAITING_REPORT',
  performer: 'agent',
  connector: null,
  decisionHash: 'd'.repeat(64),
  result: null,
  started: { height: 3, hash: 'a'.repeat(64), recordedAt: '2026-11-21T10:00:01.000Z' },
  completed: null,
  ...overrides,
});

const proposal = (overrides: Partial<ProposalView> = {}): ProposalView => ({
  proposalId: 'prop_1',
  type: 'ledger:write',
  status: 'REQUIRE_HUMAN',
  lifecycle: 'PENDING_APPROVAL',
  allowed: false,
  reasons: ['Amount above 10000 needs a human approver'],
  constraints: {},
  vetoDeadline: null,
  humanApprovalRequired: true,
  decidedAt: '2026-11-21T10:00:00.000Z',
  updatedAt: '2026-11-21T10:00:00.000Z',
  payload: { amount: 50_000, recipient: 'acme' },
  context: {},
  history: [{ type: 'DecisionRecorded', height: 2, recordedAt: '2026-11-21T10:00:00.000Z' }],
  ...overrides,
});

const payment = { type: 'ledger:write' as const, payload: { amount: 120, recipient: 'acme' } };

describe('Halm.execute', () => {
  it('sends the same idempotency key on every retry after a lost response, a 503 and a 202', async () => {
    const gateway = scriptedGateway(connectionReset(), problem(503, 'The executor did not answer'), json(202, execution({ status: 'IN_PROGRESS' })), json(200, execution({ status: 'SUCCEEDED' })));

    const view = await halmWith(gateway.fetch).execute({ executionToken: 'token-1', idempotencyKey: 'order-42', action: payment });

    expect(view.status).toBe('SUCCEEDED');
    expect(gateway.sent).toHaveLength(4);
    expect(gateway.sent.map((request) => request.body)).toEqual(Array(4).fill({ executionToken: 'token-1', idempotencyKey: 'order-42', action: payment }));
  });

  it('generates one idempotency key when none is given, and keeps it across retries', async () => {
    const gateway = scriptedGateway(connectionReset(), connectionReset(), json(200, execution()));

    await halmWith(gateway.fetch).execute({ executionToken: 'token-1', action: payment });

    const keys = gateway.sent.map((request) => request.body?.['idempotencyKey']);
    expect(keys[0]).toMatch(/^halm_[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
  });

  it('gives up after the configured retries with a HalmUnavailableError', async () => {
    const gateway = scriptedGateway(connectionReset(), connectionReset(), connectionReset());

    const attempt = halmWith(gateway.fetch, 2).execute({ executionToken: 'token-1', action: payment });

    await expect(attempt).rejects.toBeInstanceOf(HalmUnavailableError);
    await expect(attempt).rejects.toMatchObject({ code: 'NETWORK', status: null });
    expect(gateway.sent).toHaveLength(3);
  });

  it('does not retry a refusal', async () => {
    const gateway = scriptedGateway(problem(403, 'The execution token has expired', { code: 'TOKEN_EXPIRED' }));

    const attempt = halmWith(gateway.fetch).execute({ executionToken: 'token-1', action: payment });

    await expect(attempt).rejects.toBeInstanceOf(HalmTokenError);
    await expect(attempt).rejects.toMatchObject({ status: 403, code: 'TOKEN_EXPIRED', problem: { detail: 'The execution token has expired' } });
    expect(gateway.sent).toHaveLength(1);
  });

  it('stops retrying when the caller aborts, with the caller’s reason', async () => {
    const controller = new AbortController();
    const gateway = scriptedGateway(() => {
      controller.abort(new Error('the user cancelled'));
      return connectionReset();
    });

    await expect(halmWith(gateway.fetch).execute({ executionToken: 'token-1', action: payment }, { signal: controller.signal })).rejects.toThrow('the user cancelled');
    expect(gateway.sent).toHaveLength(1);
  });

  it('sends the API key as a bearer token to the base URL without a doubled slash', async () => {
    const gateway = scriptedGateway(json(200, execution()));

    await halmWith(gateway.fetch).execute({ executionToken: 'token-1', action: payment });

    expect(gateway.sent[0]).toMatchObject({ method: 'POST', path: '/api/kernel/execute', headers: { authorization: 'Bearer key-1', 'content-type': 'application/json' } });
  });
});

describe('Halm.authorize', () => {
  it('answers a denial as a decision, not an error', async () => {
    const gateway = scriptedGateway(json(200, decision({ status: 'DENY', allowed: false, executionToken: undefined, reasons: ['Confidence 0.1 is below 0.3'] })));

    const answer = await halmWith(gateway.fetch).authorize({ ...payment, context: { confidenceScore: 0.1 } });

    expect(answer).toMatchObject({ status: 'DENY', allowed: false });
    expect(gateway.sent[0]!.body).toEqual({ ...payment, context: { confidenceScore: 0.1 } });
  });

  it('retries a 503 and a refused connection, since neither recorded anything', async () => {
    const gateway = scriptedGateway(problem(503, 'The ledger did not answer; nothing may proceed (fail closed)', { allowed: false }), connectionRefused(), json(200, decision()));

    expect((await halmWith(gateway.fetch).authorize(payment)).allowed).toBe(true);
    expect(gateway.sent).toHaveLength(3);
  });

  it('does not resend after a broken connection, which may have recorded a decision', async () => {
    const gateway = scriptedGateway(connectionReset(), json(200, decision()));

    await expect(halmWith(gateway.fetch).authorize(payment)).rejects.toBeInstanceOf(HalmUnavailableError);
    expect(gateway.sent).toHaveLength(1);
  });
});

describe('Halm.waitForDecision', () => {
  it('long-polls until the proposal is settled and answers it with its execution token', async () => {
    const gateway = scriptedGateway(
      problem(404, 'No such proposal'),
      json(200, proposal()),
      json(200, proposal({ lifecycle: 'APPROVED', allowed: true, executionToken: 'token-2' })),
    );

    const settled = await halmWith(gateway.fetch).waitForDecision('prop_1', { timeoutMs: 60_000 });

    expect(settled).toMatchObject({ lifecycle: 'APPROVED', executionToken: 'token-2' });
    expect(gateway.sent.map((request) => request.path)).toEqual(Array(3).fill(expect.stringMatching(/^\/api\/kernel\/proposals\/prop_1\?waitMs=\d+$/)));
    expect(Number(/waitMs=(\d+)/.exec(gateway.sent[0]!.path)?.[1])).toBeLessThanOrEqual(30_000);
  });

  it('throws HalmApprovalTimeoutError with the last view when the proposal still waits', async () => {
    const gateway = scriptedGateway(...Array.from({ length: 50 }, () => () => json(200, proposal())));

    const waiting = halmWith(gateway.fetch).waitForDecision('prop_1', { timeoutMs: 1 });

    await expect(waiting).rejects.toBeInstanceOf(HalmApprovalTimeoutError);
    await expect(waiting).rejects.toMatchObject({ code: 'APPROVAL_TIMEOUT', proposalId: 'prop_1', proposal: { lifecycle: 'PENDING_APPROVAL' } });
  });
});

describe('Halm.guard', () => {
  it('runs an allowed effect once, under the execution, and reports it SUCCEEDED', async () => {
    const gateway = scriptedGateway(json(200, decision()), json(200, execution()), json(200, execution({ status: 'SUCCEEDED' })));
    const effect = jest.fn(async (paid: { amount: number }, running: ExecutionView) => ({ receipt: `r-${paid.amount}`, key: running.idempotencyKey }));
    const pay = halmWith(gateway.fetch).guard('ledger:write', effect, { context: { agentId: 'payments-bot', confidenceScore: 0.92 }, reportDetail: (result) => ({ receipt: result.receipt }) });

    const result = await pay({ amount: 120, recipient: 'acme' }, { context: { sessionId: 'sess-1' } });

    expect(result).toEqual({ receipt: 'r-120', key: 'prop_1' });
    expect(effect).toHaveBeenCalledTimes(1);
    expect(gateway.sent.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /api/kernel/authorize',
      'POST /api/kernel/execute',
      'POST /api/kernel/executions/exe_0123456789abcdef0123456789abcdef/report',
    ]);
    expect(gateway.sent[0]!.body).toEqual({ ...payment, context: { agentId: 'payments-bot', confidenceScore: 0.92, sessionId: 'sess-1' } });
    expect(gateway.sent[1]!.body).toEqual({ executionToken: 'token-1', idempotencyKey: 'prop_1', action: payment });
    expect(gateway.sent[2]!.body).toEqual({ outcome: 'SUCCEEDED', detail: { receipt: 'r-120' } });
  });

  it('throws HalmDeniedError with the reasons and never runs the effect', async () => {
    const gateway = scriptedGateway(json(200, decision({ status: 'DENY', allowed: false, executionToken: undefined, reasons: ['Confidence 0.1 is below 0.3'] })));
    const effect = jest.fn();

    const attempt = halmWith(gateway.fetch).guard('ledger:write', effect)(payment.payload);

    await expect(attempt).rejects.toBeInstanceOf(HalmDeniedError);
    await expect(attempt).rejects.toMatchObject({ proposalId: 'prop_1', reasons: ['Confidence 0.1 is below 0.3'], code: 'DENIED' });
    expect(effect).not.toHaveBeenCalled();
    expect(gateway.sent).toHaveLength(1);
  });

  it('reports a failing effect FAILED with its message, and throws the effect’s own error', async () => {
    const gateway = scriptedGateway(json(200, decision()), json(200, execution()), json(200, execution({ status: 'FAILED' })));
    const failure = new RangeError('the bank refused the transfer');

    await expect(halmWith(gateway.fetch).guard('ledger:write', () => Promise.reject(failure))(payment.payload)).rejects.toBe(failure);
    expect(gateway.sent[2]!.body).toEqual({ outcome: 'FAILED', detail: { error: 'the bank refused the transfer', errorName: 'RangeError' } });
  });

  it('waits for the approver, then executes with the token the approved proposal carries', async () => {
    const gateway = scriptedGateway(
      json(200, decision({ status: 'REQUIRE_HUMAN', allowed: false, executionToken: undefined, humanApprovalRequired: true })),
      json(200, proposal()),
      json(200, proposal({ lifecycle: 'APPROVED', allowed: true, executionToken: 'token-after-approval' })),
      json(200, execution()),
      json(200, execution({ status: 'SUCCEEDED' })),
    );
    const onApprovalRequired = jest.fn();

    const result = await halmWith(gateway.fetch).guard('ledger:write', () => 'paid', { onApprovalRequired })({ amount: 50_000, recipient: 'acme' });

    expect(result).toBe('paid');
    expect(onApprovalRequired).toHaveBeenCalledWith(expect.objectContaining({ status: 'REQUIRE_HUMAN', proposalId: 'prop_1' }));
    expect(gateway.sent[3]!.body).toMatchObject({ executionToken: 'token-after-approval', idempotencyKey: 'prop_1' });
  });

  it('throws HalmRejectedError with the approver’s reason when the proposal is rejected', async () => {
    const gateway = scriptedGateway(
      json(200, decision({ status: 'REQUIRE_HUMAN', allowed: false, executionToken: undefined })),
      json(200, proposal({ lifecycle: 'REJECTED', history: [{ type: 'ProposalRejected', height: 4, recordedAt: '2026-11-21T10:01:00.000Z', reason: 'not this vendor' }] })),
    );
    const effect = jest.fn();

    const attempt = halmWith(gateway.fetch).guard('ledger:write', effect)(payment.payload);

    await expect(attempt).rejects.toBeInstanceOf(HalmRejectedError);
    await expect(attempt).rejects.toMatchObject({ lifecycle: 'REJECTED', reason: 'not this vendor', code: 'REJECTED' });
    expect(effect).not.toHaveBeenCalled();
  });

  it('throws HalmApprovalRequiredError at once when told not to wait', async () => {
    const gateway = scriptedGateway(json(200, decision({ status: 'HELD_FOR_VETO', allowed: false, executionToken: undefined, vetoDeadline: '2026-11-21T11:00:00.000Z' })));

    const attempt = halmWith(gateway.fetch).guard('task:create', jest.fn(), { waitForApproval: false })({ title: 'Recalibrate' });

    await expect(attempt).rejects.toBeInstanceOf(HalmApprovalRequiredError);
    await expect(attempt).rejects.toMatchObject({ code: 'HELD_FOR_VETO', proposalId: 'prop_1' });
    expect(gateway.sent).toHaveLength(1);
  });

  it('answers the kernel’s execution of a webhook, which it performed itself', async () => {
    const done = execution({ actionType: 'webhook:send', status: 'SUCCEEDED', performer: 'kernel', connector: 'webhook', result: { status: 200 } });
    const gateway = scriptedGateway(json(200, decision()), json(202, { ...done, status: 'IN_PROGRESS' }), json(200, done));

    const notify = halmWith(gateway.fetch).guard('webhook:send');

    expect(await notify({ url: 'https://hooks.example.com/orders', body: { orderId: 42 } })).toEqual(done);
    expect(gateway.sent.map((request) => request.path)).toEqual(['/api/kernel/authorize', '/api/kernel/execute', '/api/kernel/execute']);
  });

  it('throws HalmExecutionError when the kernel’s webhook failed', async () => {
    const failed = execution({ actionType: 'webhook:send', status: 'FAILED', performer: 'kernel', connector: 'webhook', result: { failure: 'HTTP 400 is not retried' } });
    const gateway = scriptedGateway(json(200, decision()), json(200, failed));

    await expect(halmWith(gateway.fetch).guard('webhook:send')({ url: 'https://hooks.example.com/orders' })).rejects.toMatchObject({ name: 'HalmExecutionError', code: 'FAILED', execution: failed });
  });

  it('refuses to guard a kernel type with a function, an agent type without one, and policy updates', () => {
    const halm = halmWith(scriptedGateway().fetch);
    const asUntyped = halm.guard as unknown as (type: string, fn?: unknown) => unknown;

    expect(() => asUntyped.call(halm, 'webhook:send', () => undefined)).toThrow('performed by the kernel');
    expect(() => asUntyped.call(halm, 'ledger:write')).toThrow('guard needs the function');
    expect(() => asUntyped.call(halm, 'policy:update', () => undefined)).toThrow('policy endpoints');
  });

  it('throws HalmReportError carrying the result when the effect ran but its report could not be recorded', async () => {
    const gateway = scriptedGateway(json(200, decision()), json(200, execution()), ...Array.from({ length: 3 }, () => problem(503, 'The ledger did not answer')));

    const attempt = halmWith(gateway.fetch, 2).guard('ledger:write', () => 'paid')(payment.payload);

    await expect(attempt).rejects.toBeInstanceOf(HalmReportError);
    await expect(attempt).rejects.toMatchObject({ code: 'REPORT_FAILED', outcome: 'SUCCEEDED', result: 'paid', status: 503, execution: { executionId: execution().executionId } });
  });

  it('surfaces a lockdown at execute as HalmLockdownError and never runs the effect', async () => {
    const gateway = scriptedGateway(json(200, decision()), problem(423, 'Lockdown active (tenant): investigating', { code: 'LOCKDOWN_ACTIVE' }));
    const effect = jest.fn();

    await expect(halmWith(gateway.fetch).guard('ledger:write', effect)(payment.payload)).rejects.toBeInstanceOf(HalmLockdownError);
    expect(effect).not.toHaveBeenCalled();
  });

  it('does not run the effect again for an execution that is already settled', async () => {
    const gateway = scriptedGateway(json(200, decision()), json(200, execution({ status: 'SUCCEEDED' })));
    const effect = jest.fn();

    await expect(halmWith(gateway.fetch).guard('ledger:write', effect)(payment.payload, { idempotencyKey: 'order-42' })).rejects.toBeInstanceOf(HalmExecutionError);
    expect(effect).not.toHaveBeenCalled();
  });
});
