import type { AuthorizeResponse, ExecutionView, InvalidParam, Problem, ProposalLifecycle, ProposalView } from './wire-types';

/**
 * Every error the SDK throws. `status` is the HTTP status (null when no answer arrived),
 * `code` names the case (the gateway's own code where it sends one, such as `TOKEN_EXPIRED`),
 * `problem` is the RFC 9457 body the gateway answered (null when there was none).
 */
export class HalmError extends Error {
  override readonly name: string = 'HalmError';
  readonly status: number | null;
  readonly code: string;
  readonly problem: Problem | null;

  constructor(message: string, details: { status?: number | null; code: string; problem?: Problem | null; cause?: unknown }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status ?? null;
    this.code = details.code;
    this.problem = details.problem ?? null;
  }
}

/** The policy denied the action (a 200 answer with `status: DENY`): nothing was executed. */
export class HalmDeniedError extends HalmError {
  override readonly name = 'HalmDeniedError';
  readonly proposalId: string;
  readonly reasons: string[];
  readonly decision: AuthorizeResponse;

  constructor(decision: AuthorizeResponse) {
    super(`Halm denied the action: ${decision.reasons.join('; ') || 'no reason given'}`, { status: 200, code: 'DENIED' });
    this.proposalId = decision.proposalId;
    this.reasons = decision.reasons;
    this.decision = decision;
  }
}

/** The action waits for a human (REQUIRE_HUMAN or HELD_FOR_VETO) and the caller chose not to wait. */
export class HalmApprovalRequiredError extends HalmError {
  override readonly name = 'HalmApprovalRequiredError';
  readonly proposalId: string;
  readonly reasons: string[];
  readonly decision: AuthorizeResponse;

  constructor(decision: AuthorizeResponse) {
    super(`The action waits for ${decision.status === 'HELD_FOR_VETO' ? `its veto window to end (${String(decision.vetoDeadline)})` : 'a human approver'}: proposal ${decision.proposalId}`, {
      status: 200,
      code: decision.status,
    });
    this.proposalId = decision.proposalId;
    this.reasons = decision.reasons;
    this.decision = decision;
  }
}

/** The proposal was still waiting for a human (or its veto window) when the wait ended. */
export class HalmApprovalTimeoutError extends HalmError {
  override readonly name = 'HalmApprovalTimeoutError';
  readonly proposalId: string;
  /** The proposal as last seen; null when it was never seen. */
  readonly proposal: ProposalView | null;

  constructor(proposalId: string, proposal: ProposalView | null, waitedMs: number) {
    super(`Proposal ${proposalId} was still ${proposal?.lifecycle ?? 'not visible'} after ${waitedMs} ms`, { code: 'APPROVAL_TIMEOUT' });
    this.proposalId = proposalId;
    this.proposal = proposal;
  }
}

/** An approver rejected the proposal, or vetoed it: it will never execute. */
export class HalmRejectedError extends HalmError {
  override readonly name = 'HalmRejectedError';
  readonly proposalId: string;
  readonly lifecycle: Extract<ProposalLifecycle, 'REJECTED' | 'VETOED'>;
  /** The approver's reason, when one was given. */
  readonly reason: string | null;
  readonly proposal: ProposalView;

  constructor(proposal: ProposalView & { lifecycle: 'REJECTED' | 'VETOED' }) {
    const verdict = proposal.history.findLast((entry) => entry.type === 'ProposalRejected' || entry.type === 'ProposalVetoed');
    const reason = verdict?.reason ?? null;
    super(`Proposal ${proposal.proposalId} was ${proposal.lifecycle.toLowerCase()}${reason ? `: ${reason}` : ''}`, { code: proposal.lifecycle });
    this.proposalId = proposal.proposalId;
    this.lifecycle = proposal.lifecycle;
    this.reason = reason;
    this.proposal = proposal;
  }
}

/** 423: a lockdown is in force; nothing executes until a person releases it. */
export class HalmLockdownError extends HalmError {
  override readonly name = 'HalmLockdownError';
}

/** The execution token was refused: invalid, expired, for another tenant or action, or already used. */
export class HalmTokenError extends HalmError {
  override readonly name = 'HalmTokenError';
}

/** 409 or 422: the request conflicts with what is recorded (not executable, idempotency key reused for another action, a verdict too late). */
export class HalmConflictError extends HalmError {
  override readonly name = 'HalmConflictError';
}

/** 503, a timeout or no answer at all: nothing was decided or executed that a retry with the same idempotency key would repeat. */
export class HalmUnavailableError extends HalmError {
  override readonly name = 'HalmUnavailableError';
}

/** 400: the request was malformed; `invalidParams` names each bad field. */
export class HalmValidationError extends HalmError {
  override readonly name = 'HalmValidationError';
  get invalidParams(): InvalidParam[] {
    return this.problem?.invalidParams ?? [];
  }
}

/** 401 (no valid API key) or 403 (the key lacks the role this call needs). */
export class HalmAuthError extends HalmError {
  override readonly name = 'HalmAuthError';
}

/** 404: no such proposal or execution in the key's tenant. */
export class HalmNotFoundError extends HalmError {
  override readonly name = 'HalmNotFoundError';
}

/**
 * A kernel-performed execution that did not succeed: FAILED (the connector saw it fail),
 * IN_DOUBT (the executor stopped midway; the effect may or may not have happened) or still
 * IN_PROGRESS when the SDK stopped asking.
 */
export class HalmExecutionError extends HalmError {
  override readonly name = 'HalmExecutionError';
  readonly execution: ExecutionView;

  constructor(execution: ExecutionView, message = `Execution ${execution.executionId} ended ${execution.status}`) {
    super(message, { code: execution.status });
    this.execution = execution;
  }
}

/**
 * The agent's effect ran, but its outcome could not be recorded. Do not run the action again:
 * it happened. Report it later with `halm.report(error.execution.executionId, error.outcome)`.
 */
export class HalmReportError extends HalmError {
  override readonly name = 'HalmReportError';
  readonly execution: ExecutionView;
  readonly outcome: 'SUCCEEDED' | 'FAILED';
  /** What the guarded function returned (SUCCEEDED) or threw (FAILED). */
  readonly result: unknown;

  constructor(execution: ExecutionView, outcome: 'SUCCEEDED' | 'FAILED', result: unknown, cause: HalmError) {
    super(`The effect of execution ${execution.executionId} ${outcome === 'SUCCEEDED' ? 'succeeded' : 'failed'}, but reporting it failed: ${cause.message}`, {
      status: cause.status,
      code: 'REPORT_FAILED',
      problem: cause.problem,
      cause,
    });
    this.execution = execution;
    this.outcome = outcome;
    this.result = result;
  }
}

const asProblem = (status: number, body: unknown, fallbackDetail: string): Problem => {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const candidate = body as Partial<Problem>;
    return { ...candidate, type: candidate.type ?? 'about:blank', title: candidate.title ?? `HTTP ${status}`, status } as Problem;
  }
  return { type: 'about:blank', title: `HTTP ${status}`, status, detail: fallbackDetail };
};

const CODE_OF_STATUS: Record<number, string> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  422: 'UNPROCESSABLE',
  423: 'LOCKDOWN_ACTIVE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
};

/** The typed error of an HTTP answer that is not a success. */
export const errorFromResponse = (status: number, body: unknown, fallbackDetail = ''): HalmError => {
  const problem = asProblem(status, body, fallbackDetail);
  const code = typeof problem.code === 'string' ? problem.code : (CODE_OF_STATUS[status] ?? `HTTP_${status}`);
  const message = problem.detail ?? problem.title;
  const details = { status, code, problem };
  // Token refusals are 403, except a token used twice (409): one class for all of them.
  if (code.startsWith('TOKEN_')) return new HalmTokenError(message, details);
  if (status === 400) return new HalmValidationError(message, details);
  if (status === 401 || status === 403) return new HalmAuthError(message, details);
  if (status === 404) return new HalmNotFoundError(message, details);
  if (status === 409 || status === 422) return new HalmConflictError(message, details);
  if (status === 423) return new HalmLockdownError(message, details);
  if (status === 502 || status === 503 || status === 504) return new HalmUnavailableError(message, details);
  return new HalmError(message, details);
};
