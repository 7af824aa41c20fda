import type { Decision, Proposal } from './decision';
import type { LedgerEventType } from './ledger-event';

/** `policy.req.evaluate`: gateway → policy-evaluator. */
export interface EvaluateRequest {
  proposal: Proposal;
}
export interface EvaluateReply {
  decision: Decision;
}

/** `ledger.req.append`: any service → ledger, the only writer of ledger subjects. */
export interface AppendRequest {
  tenantId: string;
  /** Deterministic per logical event: it is the JetStream message id, so a retried append is not duplicated. */
  eventId: string;
  type: LedgerEventType;
  recordedAt: string;
  data: unknown;
}
export interface AppendReply {
  height: number;
  hash: string;
  prevHash: string;
  /** The stream sequence the event got. */
  sequence: number;
  /** True when the message id had already been appended and this call changed nothing. */
  duplicate: boolean;
}

/** How a request handler reports a failure its caller should act on. */
export interface RpcFailure {
  code: 'BAD_REQUEST' | 'UNAVAILABLE' | 'CONFLICT' | 'INTERNAL';
  message: string;
}
