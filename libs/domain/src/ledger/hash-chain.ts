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

/** The RFC 8785 text of an event without its `hash` (what the hash covers) and with it (the Merkle leaf). */
export interface CanonicalEventTexts {
  unsealed: string;
  sealed: string;
}

/**
 * Both canonical texts of an event from one canonicalization of its data. RFC 8785 orders the
 * members `data, eventId, hash, height, prevHash, recordedAt, tenantId, type`, so the sealed
 * text is the unsealed one with `"hash":…` between eventId and height: byte for byte what
 * `canonicalize` writes for each (a test holds them equal), at half the cost for a verifier
 * that needs both. An event missing a member takes the general path.
 */
export const canonicalEventTexts = (event: UnsealedLedgerEvent & { hash?: string }): CanonicalEventTexts => {
  const { tenantId, height, prevHash, eventId, type, recordedAt, data, hash } = event;
  const parts = textParts(event);
  if (!parts) {
    return { unsealed: canonicalize({ tenantId, height, prevHash, eventId, type, recordedAt, data }), sealed: canonicalize({ tenantId, height, prevHash, eventId, type, recordedAt, data, hash }) };
  }
  const sealedHash = hash === undefined || typeof hash === 'function' ? '' : `,"hash":${canonicalize(hash)}`;
  return { unsealed: parts.head + parts.tail, sealed: parts.head + sealedHash + parts.tail };
};

// The canonical text around where `hash` goes; null for an event missing a member (the general path handles it).
const textParts = (event: UnsealedLedgerEvent): { head: string; tail: string } | null => {
  const { tenantId, height, prevHash, eventId, type, recordedAt, data } = event;
  if ([tenantId, height, prevHash, eventId, type, recordedAt, data].some((member) => member === undefined || typeof member === 'function')) return null;
  return {
    head: `{"data":${canonicalize(data)},"eventId":${canonicalize(eventId)}`,
    tail: `,"height":${canonicalize(height)},"prevHash":${canonicalize(prevHash)},"recordedAt":${canonicalize(recordedAt)},"tenantId":${canonicalize(tenantId)},"type":${canonicalize(type)}}`,
  };
};

/** The hash an event must carry: SHA-256 over the canonical JSON of every field but `hash`. */
export const hashEvent = (event: UnsealedLedgerEvent): string => {
  const parts = textParts(event);
  if (parts) return sha256Hex(parts.head + parts.tail);
  const { tenantId, height, prevHash, eventId, type, recordedAt, data } = event;
  return sha256Hex(canonicalize({ tenantId, height, prevHash, eventId, type, recordedAt, data }));
};

export type EventDraft = Omit<UnsealedLedgerEvent, 'height' | 'prevHash'>;

/** Links a new event onto the head of its tenant's chain. */
export const chain = (head: ChainHead, draft: EventDraft): LedgerEvent => chainWithText(head, draft).event;

/**
 * `chain`, and the event's canonical text with its hash: what the ledger stores, so that every
 * reader parses the event with its members already in canonical order (and a verifier's
 * canonicalization takes its fast path).
 */
export const chainWithText = (head: ChainHead, draft: EventDraft): { event: LedgerEvent; text: string } => {
  const unsealed: UnsealedLedgerEvent = {
    tenantId: draft.tenantId,
    height: head.height + 1,
    prevHash: head.hash,
    eventId: draft.eventId,
    type: draft.type,
    recordedAt: draft.recordedAt,
    data: draft.data,
  };
  const parts = textParts(unsealed);
  if (!parts) {
    const event = { ...unsealed, hash: hashEvent(unsealed) };
    return { event, text: canonicalize(event) };
  }
  const hash = sha256Hex(parts.head + parts.tail);
  return { event: { ...unsealed, hash }, text: `${parts.head},"hash":"${hash}"${parts.tail}` };
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
export const verifyChain = (
  events: readonly LedgerEvent[],
  from: ChainHead = EMPTY_HEAD,
  tenantId?: string,
  /** Sees each event's sealed canonical text, for a Merkle leaf without canonicalizing the event again. */
  onSealed?: (sealed: string, event: LedgerEvent) => void,
): ChainBreak[] => {
  const breaks: ChainBreak[] = [];
  let head = from;
  const tenant = tenantId ?? events[0]?.tenantId;
  for (const event of events) {
    const at = { height: event.height, eventId: event.eventId };
    if (event.tenantId !== tenant) breaks.push({ ...at, problem: 'TENANT_MISMATCH', expected: String(tenant), actual: event.tenantId });
    if (event.height !== head.height + 1) breaks.push({ ...at, problem: 'HEIGHT_GAP', expected: head.height + 1, actual: event.height });
    if (event.prevHash !== head.hash) breaks.push({ ...at, problem: 'PREV_HASH_MISMATCH', expected: head.hash, actual: event.prevHash });
    let recomputed: string;
    if (onSealed) {
      const texts = canonicalEventTexts(event);
      recomputed = sha256Hex(texts.unsealed);
      onSealed(texts.sealed, event);
    } else {
      recomputed = hashEvent(event);
    }
    if (recomputed !== event.hash) breaks.push({ ...at, problem: 'HASH_MISMATCH', expected: recomputed, actual: event.hash });
    head = headOf(event);
  }
  return breaks;
};
