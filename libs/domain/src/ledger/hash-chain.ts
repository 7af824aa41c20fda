import { createHash } from 'node:crypto';
import type { LedgerEvent, UnsealedLedgerEvent } from '@halm/contracts';
import { canonicalize } from './canonical-json';

export const GENESIS_HASH = '0'.repeat(64);

/** Where a tenant's chain stands: height 0 and the genesis hash before its first event. */
export interface ChainHead {
  height: number;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = { height: 0, hash: GENESIS_HASH };

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The hash an event must carry: SHA-256 over the canonical JSON of every field but `hash`. */
export const hashEvent = (event: UnsealedLedgerEvent): string => {
  const { tenantId, height, prevHash, eventId, type, recordedAt, data } = event;
  return sha256Hex(canonicalize({ tenantId, height, prevHash, eventId, type, recordedAt, data }));
};

export type EventDraft = Omit<UnsealedLedgerEvent, 'height' | 'prevHash'>;

/** Links a new event onto the head of its tenant's chain. */
export const chain = (head: ChainHead, draft: EventDraft): LedgerEvent => {
  const unsealed: UnsealedLedgerEvent = {
    tenantId: draft.tenantId,
    height: head.height + 1,
    prevHash: head.hash,
    eventId: draft.eventId,
    type: draft.type,
    recordedAt: draft.recordedAt,
    data: draft.data,
  };
  return { ...unsealed, hash: hashEvent(unsealed) };
};

export const headOf = (event: LedgerEvent): ChainHead => ({ height: event.height, hash: event.hash });

export type ChainBreak =
  | { height: number; eventId: string; problem: 'HASH_MISMATCH'; expected: string; actual: string }
  | { height: number; eventId: string; problem: 'PREV_HASH_MISMATCH'; expected: string; actual: string }
  | { height: number; eventId: string; problem: 'HEIGHT_GAP'; expected: number; actual: number }
  | { height: number; eventId: string; problem: 'TENANT_MISMATCH'; expected: string; actual: string };

/**
 * Checks that events continue a chain from `from`: each hash is right, each `prevHash`
 * is the previous hash, heights are contiguous and the tenant never changes.
 * Returns every break found, in order; an empty list means the chain is intact.
 */
export const verifyChain = (events: readonly LedgerEvent[], from: ChainHead = EMPTY_HEAD, tenantId?: string): ChainBreak[] => {
  const breaks: ChainBreak[] = [];
  let head = from;
  const tenant = tenantId ?? events[0]?.tenantId;
  for (const event of events) {
    const at = { height: event.height, eventId: event.eventId };
    if (event.tenantId !== tenant) breaks.push({ ...at, problem: 'TENANT_MISMATCH', expected: String(tenant), actual: event.tenantId });
    if (event.height !== head.height + 1) breaks.push({ ...at, problem: 'HEIGHT_GAP', expected: head.height + 1, actual: event.height });
    if (event.prevHash !== head.hash) breaks.push({ ...at, problem: 'PREV_HASH_MISMATCH', expected: head.hash, actual: event.prevHash });
    const recomputed = hashEvent(event);
    if (recomputed !== event.hash) breaks.push({ ...at, problem: 'HASH_MISMATCH', expected: recomputed, actual: event.hash });
    head = headOf(event);
  }
  return breaks;
};
