import type { ActionType } from '@halm/contracts';

/** One execution the gate let begin, handed to the connector of its action type. */
export interface ConnectorCall {
  tenantId: string;
  proposalId: string;
  executionId: string;
  /** The caller's idempotency key: sent along wherever the effect goes, so the far side can deduplicate. */
  idempotencyKey: string;
  payload: Record<string, unknown>;
}

/**
 * What the connector saw. `result` is recorded in the ledger as it is: JSON only, whole
 * numbers (durations in whole milliseconds), and never a secret (no signing keys, no
 * caller header values, no URLs, no response bodies).
 */
export interface ConnectorResult {
  outcome: 'SUCCEEDED' | 'FAILED';
  result: Record<string, unknown>;
}

/**
 * A kernel-run effect for one action type. `perform` resolves with SUCCEEDED or FAILED for
 * everything it observed and rejects only when `signal` aborts it (a
 * {@link ConnectorAbortedError}) or on a defect; a rejection other than an aborted error
 * that says nothing could have taken effect means the outcome is unknown.
 */
export interface Connector {
  readonly actionType: ActionType;
  /** Recorded as the execution's `connector`. */
  readonly name: string;
  perform(call: ConnectorCall, signal?: AbortSignal): Promise<ConnectorResult>;
}

/**
 * `perform` was aborted (the executor is shutting down). `mayHaveTakenEffect` is false only
 * when no request can have reached the far side, so the execution may be recorded as
 * FAILED; otherwise whether the effect happened is unknown and the execution is in doubt.
 */
export class ConnectorAbortedError extends Error {
  override readonly name = 'ConnectorAbortedError';

  constructor(
    readonly mayHaveTakenEffect: boolean,
    /** What was seen up to the abort, in the shape of the connector's result. */
    readonly partialResult: Record<string, unknown>,
  ) {
    super(mayHaveTakenEffect ? 'aborted after a request may have reached the receiver' : 'aborted before any request was sent');
  }
}
