import {
  HalmApprovalRequiredError,
  HalmApprovalTimeoutError,
  HalmConflictError,
  HalmDeniedError,
  HalmError,
  HalmExecutionError,
  HalmNotFoundError,
  HalmRejectedError,
  HalmReportError,
} from './errors';
import { HttpTransport } from './http-transport';
import {
  KERNEL_PERFORMED_TYPES,
  OPEN_LIFECYCLES,
  type ActionType,
  type AgentPerformedType,
  type AuthorizeRequest,
  type AuthorizeResponse,
  type ExecuteRequest,
  type ExecutionView,
  type KernelPerformedType,
  type PayloadOf,
  type ProposalContext,
  type ProposalView,
  type ReportOutcome,
} from './wire-types';

export interface HalmOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:3000` (what `./halm up` prints as HALM_URL). */
  baseUrl: string;
  /** An API key with the `agent` role (HALM_API_KEY). */
  apiKey: string;
  /** The fetch to send requests with; the global one by default. */
  fetch?: typeof fetch;
  /** How long one HTTP request may take before it counts as lost; default 10000 ms. A long poll gets its wait on top. */
  timeoutMs?: number;
  /** How many times a failed request that is safe to repeat is sent again; default 4. */
  retries?: number;
  /** The backoff ceiling before the first retry, doubling with each further one; default 100 ms. */
  retryDelayMs?: number;
  /** The longest wait between two attempts (also for a 503's Retry-After); default 2000 ms. */
  maxRetryDelayMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface WaitOptions extends CallOptions {
  /** How long to wait for an approver or the veto window in all; default 300000 ms. */
  timeoutMs?: number;
}

export interface ExecuteOptions extends CallOptions {
  /** How long to keep asking while a connector is still at work (202 IN_PROGRESS); default 60000 ms, then the IN_PROGRESS view is returned. */
  inProgressTimeoutMs?: number;
}

/** What `guard` asks for on every call of the function it returns. */
export interface GuardOptions<R> {
  /** Sent with every proposal (agentId, sessionId, confidenceScore); a call's own context overrides it field by field. */
  context?: ProposalContext;
  justification?: string;
  /** Wait for an approver or the end of the veto window (the default), or throw HalmApprovalRequiredError at once. */
  waitForApproval?: boolean;
  /** How long to wait for it; default 300000 ms, then HalmApprovalTimeoutError. */
  approvalTimeoutMs?: number;
  /** Called once the decision says the action waits for a human, before the wait: tell someone. */
  onApprovalRequired?: (decision: AuthorizeResponse) => void;
  /** The `detail` recorded with a SUCCEEDED report, from what the effect returned; none by default. */
  reportDetail?: (result: R) => Record<string, unknown>;
}

/** What one call of a guarded function may add. */
export interface GuardCallOptions extends CallOptions {
  context?: ProposalContext;
  justification?: string;
  /** The execution's idempotency key; by default the proposal id (one proposal, one effect). */
  idempotencyKey?: string;
}

/** The effect an agent performs once Halm let it: it gets the payload and the execution it runs under. */
export type GuardedEffect<T extends ActionType, R> = (payload: PayloadOf<T>, execution: ExecutionView) => R | Promise<R>;

const DEFAULT_APPROVAL_TIMEOUT_MS = 300_000;
/** The gateway's longest long poll. */
const MAX_WAIT_MS = 30_000;
const KERNEL_TYPES: readonly string[] = KERNEL_PERFORMED_TYPES;

/** A new idempotency key: one key, one effect. */
export const newIdempotencyKey = (): string => `halm_${globalThis.crypto.randomUUID()}`;

/** The typed client of a Halm gateway. */
export class Halm {
  private readonly transport: HttpTransport;
  private readonly timeoutMs: number;

  constructor(options: HalmOptions) {
    if (!options.baseUrl) throw new TypeError('Halm: baseUrl is required (the gateway, e.g. http://127.0.0.1:3000)');
    if (!options.apiKey) throw new TypeError('Halm: apiKey is required (a key with the agent role)');
    const fetchFunction = options.fetch ?? globalThis.fetch;
    if (typeof fetchFunction !== 'function') throw new TypeError('Halm: no fetch available; pass options.fetch');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.transport = new HttpTransport({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      fetch: fetchFunction,
      timeoutMs: this.timeoutMs,
      retries: options.retries ?? 4,
      retryDelayMs: options.retryDelayMs ?? 100,
      maxRetryDelayMs: options.maxRetryDelayMs ?? 2_000,
    });
  }

  /**
   * Asks whether an action may proceed. A DENY is an answer, not an error: check `allowed`.
   * Sent again only when it cannot have been recorded (a refused connection, a 503).
   */
  async authorize<T extends ActionType>(request: AuthorizeRequest<T>, options: CallOptions = {}): Promise<AuthorizeResponse> {
    const { body } = await this.transport.request<AuthorizeResponse>({ method: 'POST', path: '/api/kernel/authorize', body: request, retry: 'unsent', ...signalOf(options) });
    return body;
  }

  /** The proposal as it stands; with `waitMs`, the gateway holds the answer until it changes or the time is up (at most 30000). */
  async getProposal(proposalId: string, options: CallOptions & { waitMs?: number } = {}): Promise<ProposalView> {
    const waitMs = Math.max(0, Math.min(MAX_WAIT_MS, Math.floor(options.waitMs ?? 0)));
    const { body } = await this.transport.request<ProposalView>({
      method: 'GET',
      path: `/api/kernel/proposals/${encodeURIComponent(proposalId)}${waitMs > 0 ? `?waitMs=${waitMs}` : ''}`,
      retry: 'safe',
      ...signalOf(options),
      // the gateway holds a long poll open for waitMs before it answers
      ...(waitMs > 0 ? { timeoutMs: waitMs + this.timeoutMs } : {}),
    });
    return body;
  }

  /**
   * Long-polls a proposal until it no longer waits for an approver or its veto window, and
   * answers it: APPROVED or VETO_WINDOW_ELAPSED with a fresh `executionToken`, or REJECTED,
   * VETOED. Throws HalmApprovalTimeoutError when it still waits after `timeoutMs`.
   */
  async waitForDecision(proposalId: string, options: WaitOptions = {}): Promise<ProposalView> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    let last: ProposalView | null = null;
    for (;;) {
      const remaining = deadline - Date.now();
      try {
        last = await this.getProposal(proposalId, { waitMs: Math.max(1, Math.min(MAX_WAIT_MS, remaining)), ...signalOf(options) });
      } catch (error) {
        // Just after the decision the projection may not hold the proposal yet; the wait covers that.
        if (!(error instanceof HalmNotFoundError) || Date.now() >= deadline) throw error;
        continue;
      }
      if (!OPEN_LIFECYCLES.includes(last.lifecycle)) return last;
      if (Date.now() >= deadline) throw new HalmApprovalTimeoutError(proposalId, last, timeoutMs);
    }
  }

  /**
   * Runs an allowed action through the execution gate. Network errors, 503 and 202 IN_PROGRESS
   * are retried with the same idempotency key, which is safe: one key is one effect, and a
   * repeat answers what the first attempt recorded.
   */
  async execute<T extends ActionType>(request: ExecuteRequest<T>, options: ExecuteOptions = {}): Promise<ExecutionView> {
    const body = { executionToken: request.executionToken, idempotencyKey: request.idempotencyKey ?? newIdempotencyKey(), action: request.action };
    const settleBy = Date.now() + (options.inProgressTimeoutMs ?? 60_000);
    for (let poll = 0; ; poll++) {
      const answer = await this.transport.request<ExecutionView>({ method: 'POST', path: '/api/kernel/execute', body, retry: 'safe', ...signalOf(options) });
      if (answer.status !== 202 || answer.body.status !== 'IN_PROGRESS' || Date.now() >= settleBy) return answer.body;
      await this.transport.backoff(Math.min(poll, 5), undefined, options.signal);
    }
  }

  /** An execution as the ledger holds it. */
  async getExecution(executionId: string, options: CallOptions = {}): Promise<ExecutionView> {
    const { body } = await this.transport.request<ExecutionView>({ method: 'GET', path: `/api/kernel/executions/${encodeURIComponent(executionId)}`, retry: 'safe', ...signalOf(options) });
    return body;
  }

  /** Records how an effect the agent performed ended. Repeating the same report answers the same; a different outcome afterwards is a HalmConflictError. */
  async report(executionId: string, outcome: ReportOutcome, detail?: Record<string, unknown>, options: CallOptions = {}): Promise<ExecutionView> {
    const { body } = await this.transport.request<ExecutionView>({
      method: 'POST',
      path: `/api/kernel/executions/${encodeURIComponent(executionId)}/report`,
      body: detail === undefined ? { outcome } : { outcome, detail },
      retry: 'safe',
      ...signalOf(options),
    });
    return body;
  }

  /**
   * Wraps a side effect so that it runs only as Halm allows: authorize → (wait for an approver
   * or the veto window) → execute → run `fn` → report SUCCEEDED, or FAILED with the error,
   * which is thrown again. The guarded function answers what `fn` returned.
   *
   * For a type the kernel performs (`webhook:send`) there is no `fn`: `execute` does the
   * effect, and the guarded function answers the succeeded execution (HalmExecutionError when
   * it failed or is in doubt). `policy:update` cannot be guarded: use the policy endpoints.
   */
  guard<T extends KernelPerformedType>(type: T, options?: GuardOptions<ExecutionView>): (payload: PayloadOf<T>, call?: GuardCallOptions) => Promise<ExecutionView>;
  guard<T extends AgentPerformedType, R>(type: T, fn: GuardedEffect<T, R>, options?: GuardOptions<Awaited<R>>): (payload: PayloadOf<T>, call?: GuardCallOptions) => Promise<Awaited<R>>;
  guard(
    type: ActionType,
    fnOrOptions?: ((payload: never, execution: ExecutionView) => unknown) | GuardOptions<never>,
    maybeOptions?: GuardOptions<never>,
  ): (payload: PayloadOf<ActionType>, call?: GuardCallOptions) => Promise<unknown> {
    if (type === 'policy:update') throw new TypeError('Halm: policy:update is carried out by the kernel after its decision; use the policy endpoints, not guard');
    const kernelPerformed = KERNEL_TYPES.includes(type);
    // The overloads tie fn and options to the type; past them, one untyped path runs every type.
    const fn = typeof fnOrOptions === 'function' ? (fnOrOptions as unknown as GuardedEffect<ActionType, unknown>) : undefined;
    const options = ((typeof fnOrOptions === 'function' ? maybeOptions : fnOrOptions) ?? {}) as GuardOptions<unknown>;
    if (kernelPerformed && fn) throw new TypeError(`Halm: ${type} is performed by the kernel; guard it without a function (the guarded call answers the execution)`);
    if (!kernelPerformed && !fn) throw new TypeError(`Halm: ${type} is performed by the agent; guard needs the function that performs it`);
    return (payload, call = {}) => this.runGuarded(type, payload, fn, options, call);
  }

  private async runGuarded(
    type: ActionType,
    payload: PayloadOf<ActionType>,
    fn: GuardedEffect<ActionType, unknown> | undefined,
    options: GuardOptions<unknown>,
    call: GuardCallOptions,
  ): Promise<unknown> {
    const signal = signalOf(call);
    const context = { ...options.context, ...call.context };
    const justification = call.justification ?? options.justification;
    const decision = await this.authorize(
      { type, payload, ...(Object.keys(context).length > 0 ? { context } : {}), ...(justification === undefined ? {} : { justification }) },
      signal,
    );
    const executionToken = await this.tokenFor(decision, options, signal);
    const execution = await this.execute({ executionToken, idempotencyKey: call.idempotencyKey ?? decision.proposalId, action: { type, payload } }, signal);

    if (!fn) {
      if (execution.performer !== 'kernel') {
        // No connector performed it and this process has nothing to run: record that it did not happen.
        await this.report(execution.executionId, 'FAILED', { error: `no connector performs ${type} on this deployment` }, signal).catch(() => undefined);
        throw new HalmExecutionError(execution, `The kernel has no connector for ${type}: execution ${execution.executionId} was left to the agent and reported FAILED`);
      }
      if (execution.status !== 'SUCCEEDED') throw new HalmExecutionError(execution);
      return execution;
    }
    if (execution.performer !== 'agent') throw new HalmExecutionError(execution, `The kernel performed execution ${execution.executionId} itself (${execution.status}); the guarded function was not run`);
    if (execution.status !== 'AWAITING_REPORT') throw new HalmExecutionError(execution, `Execution ${execution.executionId} is already ${execution.status}; the guarded function was not run again`);

    let result: unknown;
    try {
      result = await fn(payload, execution);
    } catch (error) {
      // The failure is recorded when it can be; the caller gets the effect's own error either way.
      await this.report(execution.executionId, 'FAILED', failureDetail(error), signal).catch(() => undefined);
      throw error;
    }
    try {
      await this.report(execution.executionId, 'SUCCEEDED', options.reportDetail?.(result), signal);
    } catch (error) {
      if (error instanceof HalmError) throw new HalmReportError(execution, 'SUCCEEDED', result, error);
      throw error;
    }
    return result;
  }

  /** The execution token of a decision: at once when allowed, after the wait when a human or the veto window decides. */
  private async tokenFor(decision: AuthorizeResponse, options: GuardOptions<unknown>, signal: CallOptions): Promise<string> {
    if (decision.status === 'ALLOW') return decision.executionToken;
    if (decision.status === 'DENY') throw new HalmDeniedError(decision);
    if (options.waitForApproval === false) throw new HalmApprovalRequiredError(decision);
    options.onApprovalRequired?.(decision);
    const proposal = await this.waitForDecision(decision.proposalId, { timeoutMs: options.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS, ...signal });
    if (proposal.lifecycle === 'REJECTED' || proposal.lifecycle === 'VETOED') throw new HalmRejectedError({ ...proposal, lifecycle: proposal.lifecycle });
    if (!proposal.executionToken) {
      throw new HalmConflictError(`Proposal ${proposal.proposalId} is ${proposal.lifecycle} and offers no execution token`, { code: 'NOT_EXECUTABLE' });
    }
    return proposal.executionToken;
  }
}

const signalOf = (options: CallOptions): CallOptions => (options.signal ? { signal: options.signal } : {});

const failureDetail = (error: unknown): Record<string, unknown> => ({
  error: (error instanceof Error ? error.message : String(error)).slice(0, 1000),
  ...(error instanceof Error ? { errorName: error.name } : {}),
});
