import type { ExecutionCompletedData, ExecutionStartedData, ExecutionView, LedgerEvent } from '@halm/contracts';
import { sha256Hex } from '../ledger/hash-chain';

/** Idempotency keys are chosen by agents: printable, bounded, so they can travel in headers and logs. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * An execution's id follows from its tenant and idempotency key alone, so every retry and
 * every concurrent duplicate, on any executor instance, names the same execution and the
 * same ledger event ids: the ledger then lets exactly one of them start it.
 */
export const executionIdOf = (tenantId: string, idempotencyKey: string): string => `exe_${sha256Hex(`${tenantId}\u0000${idempotencyKey}`).slice(0, 32)}`;

export const startedEventIdOf = (executionId: string): string => `${executionId}.started`;
export const completedEventIdOf = (executionId: string): string => `${executionId}.completed`;

/**
 * The answer to an execute request, built from the execution's ledger events and nothing
 * else: the first caller and every retry get the same body, whichever instance answers.
 */
export const executionViewOf = (started: LedgerEvent, completed: LedgerEvent | null): ExecutionView => {
  const start = started.data as ExecutionStartedData;
  const end = completed?.data as ExecutionCompletedData | undefined;
  const status: ExecutionView['status'] = end ? end.outcome : start.performer === 'agent' ? 'AWAITING_REPORT' : 'IN_PROGRESS';
  return {
    executionId: start.executionId,
    proposalId: start.proposalId,
    idempotencyKey: start.idempotencyKey,
    actionType: start.actionType,
    status,
    performer: start.performer,
    connector: start.connector,
    decisionHash: start.decisionHash,
    result: end?.result ?? null,
    started: { height: started.height, hash: started.hash, recordedAt: started.recordedAt },
    completed: completed ? { height: completed.height, hash: completed.hash, recordedAt: completed.recordedAt } : null,
  };
};
