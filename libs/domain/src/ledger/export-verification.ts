import type { KeyObject } from 'node:crypto';
import type { LedgerEvent } from '@halm/contracts';
import { verifyingKeyFrom } from '../tokens/execution-token';
import { type SignedCheckpoint, verifyCheckpoint } from './checkpoint';
import { canonicalEventTexts, GENESIS_HASH, sha256Hex } from './hash-chain';
import { LEDGER_EXPORT_FORMAT } from './ledger-export';
import { rootsAtSizes, verifierLeafHash, verifyConsistency } from './merkle-verify';

// Verification of an export uses the verifier's Merkle code only (merkle-verify.ts): the roots
// the checkpoints are compared with and the consistency proofs must not be checked by the code
// that produced them. Nothing here throws on what the file holds; every flaw is a problem.

export type ExportProblemCode =
  | 'BUNDLE_MALFORMED'
  | 'EVENT_MALFORMED'
  | 'EVENT_WRONG_TENANT'
  | 'EVENT_ALTERED'
  | 'EVENTS_MISSING'
  | 'EVENT_OUT_OF_ORDER'
  | 'EVENT_DUPLICATE_HEIGHT'
  | 'PREV_HASH_MISMATCH'
  | 'CHECKPOINT_MALFORMED'
  | 'CHECKPOINT_UNKNOWN_KEY'
  | 'CHECKPOINT_BAD_SIGNATURE'
  | 'CHECKPOINT_WRONG_TENANT'
  | 'CHECKPOINT_SIZE_DECREASED'
  | 'CHECKPOINT_ROOT_MISMATCH'
  | 'TAIL_TRUNCATED'
  | 'CONSISTENCY_PROOF_MISSING'
  | 'CONSISTENCY_PROOF_FAILED';

/** One thing wrong with an export, with the event (height, id) or the checkpoint (tree size, time) it concerns. */
export interface ExportProblem {
  code: ExportProblemCode;
  height?: number;
  eventId?: string;
  treeSize?: number;
  issuedAt?: string;
  /** A sentence saying what breaks and what that means. */
  message: string;
}

export interface ExportVerificationReport {
  /** True when no problem was found. */
  ok: boolean;
  tenantId: string | null;
  exportedAt: string | null;
  events: number;
  checkpoints: number;
  /** Checkpoints whose signature holds with one of the keys given, for this tenant. */
  verifiedCheckpoints: number;
  /** The largest tree size a verified checkpoint signs and the events match; null when none does. */
  provenSize: number | null;
  problems: ExportProblem[];
  /** What is not wrong but not proven either (events after the latest checkpoint, fields no hash covers). */
  warnings: string[];
}

/** The key id of a ledger public key: the first 16 hex digits of SHA-256 over its SPKI in base64url (the execution tokens' rule too). */
export const publicKeyId = (publicKey: string): string => sha256Hex(publicKey).slice(0, 16);

/**
 * Verifying keys by key id from Ed25519 public keys (SPKI DER, base64url or base64), as
 * `verifyLedgerExport` takes them. Throws on a key that is not one.
 */
export const verifyingKeysFrom = (publicKeys: readonly string[]): Map<string, KeyObject> =>
  new Map(
    publicKeys.map((encoded) => {
      const key = verifyingKeyFrom(encoded);
      return [publicKeyId(key.export({ format: 'der', type: 'spki' }).toString('base64url')), key] as const;
    }),
  );

/** The keys of a comma-separated setting such as EXECUTION_TOKEN_PUBLIC_KEYS or LEDGER_RETIRED_PUBLIC_KEYS. */
export const keyListOf = (list: string): string[] =>
  list
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);

/** Whether a comma-separated setting holds only Ed25519 public keys (and at least one, unless `allowEmpty`). */
export const isEd25519PublicKeyList = (list: string, allowEmpty: boolean): boolean => {
  const keys = keyListOf(list);
  if (keys.length === 0) return allowEmpty;
  try {
    verifyingKeysFrom(keys);
    return true;
  } catch {
    return false;
  }
};

const HASH_HEX = /^[0-9a-f]{64}$/;
const EVENT_FIELDS = ['tenantId', 'height', 'prevHash', 'eventId', 'type', 'recordedAt', 'data', 'hash'];

type Indexed<T> = { value: T; position: number };

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

const eventShapeProblem = (candidate: unknown): string | null => {
  if (!isRecord(candidate)) return 'it is not a JSON object';
  const { tenantId, height, prevHash, eventId, type, recordedAt, hash } = candidate;
  if (typeof tenantId !== 'string') return 'tenantId is not a string';
  if (typeof height !== 'number' || !Number.isSafeInteger(height) || height < 1) return 'height is not a whole number from 1';
  if (typeof prevHash !== 'string' || !HASH_HEX.test(prevHash)) return 'prevHash is not 64 lower-case hex digits';
  if (typeof eventId !== 'string' || eventId === '') return 'eventId is not a non-empty string';
  if (typeof type !== 'string') return 'type is not a string';
  if (typeof recordedAt !== 'string') return 'recordedAt is not a string';
  if (!('data' in candidate)) return 'data is missing';
  if (typeof hash !== 'string' || !HASH_HEX.test(hash)) return 'hash is not 64 lower-case hex digits';
  return null;
};

const attempt = <T>(work: () => T): T | null => {
  try {
    return work();
  } catch {
    return null;
  }
};

const spanText = (spans: readonly [number, number][]): string => spans.map(([from, to]) => (from === to ? `${from}` : `${from} to ${to}`)).join(', ');

const heightsText = (spans: readonly [number, number][]): string => `${spans.length === 1 && spans[0]?.[0] === spans[0]?.[1] ? 'height' : 'heights'} ${spanText(spans)}`;

const spansOf = (heights: readonly number[]): [number, number][] =>
  heights.reduce<[number, number][]>((spans, height) => {
    const last = spans.at(-1);
    if (last && last[1] + 1 === height) last[1] = height;
    else spans.push([height, height]);
    return spans;
  }, []);

// The heights from `from` to `to` that some event of the export has (sorted ascending), found without walking the whole range.
const presentBetween = (sortedHeights: readonly number[], from: number, to: number): number[] => {
  let low = 0;
  let high = sortedHeights.length;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if ((sortedHeights[middle] as number) < from) low = middle + 1;
    else high = middle;
  }
  const present: number[] = [];
  for (let index = low; index < sortedHeights.length && (sortedHeights[index] as number) <= to; index += 1) present.push(sortedHeights[index] as number);
  return present;
};

const absentBetween = (present: readonly number[], from: number, to: number): [number, number][] => {
  const gaps: [number, number][] = [];
  let next = from;
  for (const height of present) {
    if (height > next) gaps.push([next, height - 1]);
    next = height + 1;
  }
  if (next <= to) gaps.push([next, to]);
  return gaps;
};

const checkEvents = (tenantId: string | null, events: readonly unknown[], problems: ExportProblem[], warnings: string[]): { leaves: Uint8Array[]; lastHeight: number } => {
  const shaped: Indexed<LedgerEvent>[] = [];
  events.forEach((candidate, position) => {
    const problem = eventShapeProblem(candidate);
    if (problem === null) {
      shaped.push({ value: candidate as LedgerEvent, position });
      const extra = Object.keys(candidate as object).filter((field) => !EVENT_FIELDS.includes(field));
      if (extra.length > 0) warnings.push(`the event at height ${(candidate as LedgerEvent).height} carries fields no hash covers (${extra.join(', ')}); they were ignored`);
      return;
    }
    const record = isRecord(candidate) ? candidate : {};
    problems.push({
      code: 'EVENT_MALFORMED',
      ...(typeof record['height'] === 'number' ? { height: record['height'] } : {}),
      ...(typeof record['eventId'] === 'string' ? { eventId: record['eventId'] } : {}),
      message: `event number ${position + 1} of the export is not a ledger event: ${problem}`,
    });
  });

  const sortedHeights = [...new Set(shaped.map(({ value }) => value.height))].sort((a, b) => a - b);
  const firstAtHeight = new Map<number, LedgerEvent>();
  for (const { value } of shaped) if (!firstAtHeight.has(value.height)) firstAtHeight.set(value.height, value);
  const seen = new Set<number>();
  let previous: LedgerEvent | null = null;
  // A malformed event still takes its place in the tree: its leaf can match nothing the ledger signed.
  const leaves: Uint8Array[] = events.map(() => new Uint8Array(32));
  for (const { value: event, position } of shaped) {
    const at = { height: event.height, eventId: event.eventId };
    const named = `the event at height ${event.height} (${event.eventId})`;
    if (tenantId !== null && event.tenantId !== tenantId) {
      problems.push({ ...at, code: 'EVENT_WRONG_TENANT', message: `${named} belongs to tenant ${event.tenantId}, not ${tenantId}` });
    }
    // One canonicalization gives both the text the hash covers and the Merkle leaf.
    const texts = attempt(() => canonicalEventTexts(event));
    if (texts === null || sha256Hex(texts.unsealed) !== event.hash) {
      problems.push({ ...at, code: 'EVENT_ALTERED', message: `${named} does not hash to its recorded hash: it was altered after it was recorded` });
    }
    if (texts !== null) leaves[position] = verifierLeafHash(Buffer.from(texts.sealed, 'utf8'));
    const expected = previous ? previous.height + 1 : 1;
    if (event.height > expected) {
      const present = presentBetween(sortedHeights, expected, event.height - 1);
      const absent = absentBetween(present, expected, event.height - 1);
      const later = present.filter((height) => !seen.has(height));
      if (absent.length > 0) {
        problems.push({ ...at, code: 'EVENTS_MISSING', message: `no event at ${heightsText(absent)} before ${named}: removed` });
      }
      if (later.length > 0) {
        problems.push({ ...at, code: 'EVENT_OUT_OF_ORDER', message: `${named} comes before ${heightsText(spansOf(later))}: events were reordered` });
      }
    } else if (event.height < expected) {
      const first = firstAtHeight.get(event.height);
      problems.push(
        seen.has(event.height)
          ? { ...at, code: 'EVENT_DUPLICATE_HEIGHT', message: `${named} repeats height ${event.height}, already taken by ${first?.eventId}` }
          : { ...at, code: 'EVENT_OUT_OF_ORDER', message: `${named} comes after height ${previous?.height}: events were reordered` },
      );
    }
    if (event.height === 1 && event.prevHash !== GENESIS_HASH) {
      problems.push({ ...at, code: 'PREV_HASH_MISMATCH', message: `${named} is the first event but its prevHash is not 64 zeros` });
    }
    const predecessor = firstAtHeight.get(event.height - 1);
    if (event.height > 1 && predecessor && event.prevHash !== predecessor.hash) {
      problems.push({
        ...at,
        code: 'PREV_HASH_MISMATCH',
        message: `${named} has a prevHash that is not the hash of height ${predecessor.height} (${predecessor.eventId}): one of the two was altered`,
      });
    }
    seen.add(event.height);
    previous = event;
  }
  return { leaves, lastHeight: sortedHeights.at(-1) ?? 0 };
};

const CHECKPOINT_FAILURES = {
  MALFORMED: { code: 'CHECKPOINT_MALFORMED', explain: (detail: string) => `is malformed: ${detail}` },
  UNKNOWN_KEY: { code: 'CHECKPOINT_UNKNOWN_KEY', explain: () => 'is signed with a key that is not among the public keys given, so nothing it says can be trusted' },
  BAD_SIGNATURE: { code: 'CHECKPOINT_BAD_SIGNATURE', explain: () => 'does not carry a valid signature of its key: it was forged or altered' },
} as const;

const describeCheckpoint = (candidate: unknown, position: number): { treeSize?: number; issuedAt?: string; named: string } => {
  const record = isRecord(candidate) ? candidate : {};
  const treeSize = typeof record['treeSize'] === 'number' ? record['treeSize'] : undefined;
  const issuedAt = typeof record['issuedAt'] === 'string' ? record['issuedAt'] : undefined;
  const keyId = typeof record['keyId'] === 'string' ? `, key ${record['keyId']}` : '';
  const named = treeSize !== undefined ? `the checkpoint of size ${treeSize}${issuedAt ? ` issued ${issuedAt}` : ''}${keyId}` : `checkpoint number ${position + 1}`;
  return { ...(treeSize !== undefined ? { treeSize } : {}), ...(issuedAt !== undefined ? { issuedAt } : {}), named };
};

const nameOf = (checkpoint: SignedCheckpoint): string => `the checkpoint of size ${checkpoint.treeSize} issued ${checkpoint.issuedAt}`;
const about = (checkpoint: SignedCheckpoint) => ({ treeSize: checkpoint.treeSize, issuedAt: checkpoint.issuedAt });

const checkCheckpoints = (tenantId: string | null, candidates: readonly unknown[], verifyingKeys: ReadonlyMap<string, KeyObject>, problems: ExportProblem[]): SignedCheckpoint[] => {
  const verified: SignedCheckpoint[] = [];
  candidates.forEach((candidate, position) => {
    const checked = verifyCheckpoint(candidate, verifyingKeys);
    const { named, ...at } = describeCheckpoint(candidate, position);
    if (!checked.ok) {
      const failure = CHECKPOINT_FAILURES[checked.reason];
      problems.push({ ...at, code: failure.code, message: `${named} ${failure.explain(checked.detail)}` });
    } else if (tenantId !== null && checked.checkpoint.tenantId !== tenantId) {
      problems.push({ ...at, code: 'CHECKPOINT_WRONG_TENANT', message: `${named} is for tenant ${checked.checkpoint.tenantId}, not ${tenantId}` });
    } else {
      verified.push(checked.checkpoint);
    }
  });
  const byTime = verified.map((checkpoint, order) => ({ checkpoint, order, time: Date.parse(checkpoint.issuedAt) })).sort((a, b) => a.time - b.time || a.order - b.order);
  let largest: { checkpoint: SignedCheckpoint; time: number } | null = null;
  for (const entry of byTime) {
    if (largest && entry.checkpoint.treeSize < largest.checkpoint.treeSize && entry.time > largest.time) {
      problems.push({
        ...about(entry.checkpoint),
        code: 'CHECKPOINT_SIZE_DECREASED',
        message: `${nameOf(entry.checkpoint)} came after ${nameOf(largest.checkpoint)}: the ledger shrank, events it had signed were removed`,
      });
    }
    if (!largest || entry.checkpoint.treeSize >= largest.checkpoint.treeSize) largest = entry;
  }
  return verified;
};

const hexDigest = (hex: unknown): Uint8Array | null => (typeof hex === 'string' && HASH_HEX.test(hex) ? Buffer.from(hex, 'hex') : null);

const checkRoots = (verified: readonly SignedCheckpoint[], leaves: readonly Uint8Array[], lastHeight: number, problems: ExportProblem[]): number | null => {
  const roots = rootsAtSizes(leaves, verified.map((checkpoint) => checkpoint.treeSize));
  const covered = verified.filter((checkpoint) => checkpoint.treeSize <= leaves.length).sort((a, b) => a.treeSize - b.treeSize);
  const matches = (checkpoint: SignedCheckpoint) => Buffer.from(roots.get(checkpoint.treeSize) as Uint8Array).toString('hex') === checkpoint.rootHash;
  const wrong = covered.filter((checkpoint) => !matches(checkpoint));
  const proven = covered.filter(matches).at(-1)?.treeSize ?? null;
  const [firstWrong, ...laterWrong] = wrong;
  if (firstWrong) {
    const lastGood = covered.filter((checkpoint) => checkpoint.treeSize < firstWrong.treeSize && matches(checkpoint)).at(-1)?.treeSize ?? 0;
    const more = laterWrong.length > 0 ? `; ${laterWrong.length === 1 ? '1 later checkpoint, of size' : `${laterWrong.length} later checkpoints, up to size`} ${laterWrong.at(-1)?.treeSize}, ${laterWrong.length === 1 ? 'disagrees' : 'disagree'} too` : '';
    problems.push({
      ...about(firstWrong),
      code: 'CHECKPOINT_ROOT_MISMATCH',
      message:
        `the first ${firstWrong.treeSize} events do not have the Merkle root ${nameOf(firstWrong)} signs: an event from height ${lastGood + 1} to ${firstWrong.treeSize} ` +
        `is not the one the ledger signed (altered, removed, inserted or reordered)${lastGood > 0 ? `; the first ${lastGood} match an earlier checkpoint` : ''}${more}`,
    });
  }
  const beyond = verified.filter((checkpoint) => checkpoint.treeSize > leaves.length).sort((a, b) => a.treeSize - b.treeSize);
  const largestBeyond = beyond.at(-1);
  if (largestBeyond && largestBeyond.treeSize > lastHeight) {
    problems.push({
      ...about(largestBeyond),
      height: lastHeight + 1,
      code: 'TAIL_TRUNCATED',
      message: `${nameOf(largestBeyond)} signs ${largestBeyond.treeSize} events, but the export ends at height ${lastHeight}: heights ${lastHeight + 1} to ${largestBeyond.treeSize} were cut off`,
    });
  } else if (largestBeyond) {
    problems.push({
      ...about(largestBeyond),
      code: 'CHECKPOINT_ROOT_MISMATCH',
      message: `${nameOf(largestBeyond)} signs ${largestBeyond.treeSize} events, but the export holds only ${leaves.length} of them: events before height ${largestBeyond.treeSize} are missing`,
    });
  }
  return proven;
};

const checkConsistency = (verified: readonly SignedCheckpoint[], proofs: readonly unknown[], problems: ExportProblem[]): void => {
  const bySize = new Map<number, SignedCheckpoint>();
  for (const checkpoint of verified) {
    const same = bySize.get(checkpoint.treeSize);
    if (!same) bySize.set(checkpoint.treeSize, checkpoint);
    else if (same.rootHash !== checkpoint.rootHash) {
      problems.push({
        ...about(checkpoint),
        code: 'CONSISTENCY_PROOF_FAILED',
        message: `${nameOf(checkpoint)} and ${nameOf(same)} sign the same size with different roots: the ledger signed two different histories`,
      });
    }
  }
  const sizes = [...bySize.keys()].sort((a, b) => a - b);
  sizes.slice(1).forEach((toSize, index) => {
    const older = bySize.get(sizes[index] as number) as SignedCheckpoint;
    const newer = bySize.get(toSize) as SignedCheckpoint;
    const entry = proofs.find((proof) => isRecord(proof) && proof['fromSize'] === older.treeSize && proof['toSize'] === newer.treeSize);
    if (!isRecord(entry)) {
      problems.push({
        ...about(newer),
        code: 'CONSISTENCY_PROOF_MISSING',
        message: `the export has no consistency proof from ${nameOf(older)} to ${nameOf(newer)}`,
      });
      return;
    }
    const path = Array.isArray(entry['proof']) ? entry['proof'].map(hexDigest) : [null];
    const valid = path.every((hash): hash is Uint8Array => hash !== null);
    if (!valid || !verifyConsistency(older.treeSize, newer.treeSize, Buffer.from(older.rootHash, 'hex'), Buffer.from(newer.rootHash, 'hex'), path)) {
      problems.push({
        ...about(newer),
        code: 'CONSISTENCY_PROOF_FAILED',
        message: `${nameOf(newer)} does not extend ${nameOf(older)}: the consistency proof fails, so history was rewritten between them or one of them is false`,
      });
    }
  });
};

/**
 * Checks an export (parsed JSON, `LedgerExport` when honest) offline, with only the public
 * keys given (by key id; see `verifyingKeysFrom`), never with keys from the file:
 *
 * - the events: each hashes to its `hash`, links to the hash of the height before it, heights
 *   run 1, 2, 3… with none missing, repeated or out of order, all of the export's tenant;
 * - the checkpoints: each signed by one of the keys, for this tenant, never smaller than one
 *   issued before it;
 * - the roots: the Merkle root of the first `treeSize` events (computed by merkle-verify.ts)
 *   equals each checkpoint's `rootHash`; a checkpoint beyond the last event shows a cut-off tail;
 * - consistency: the proof between each two consecutive checkpoint sizes holds
 *   (`verifyConsistency`), and two checkpoints of one size have one root.
 *
 * Every problem names the event (height and id) or the checkpoint (size and time) and says what breaks.
 */
export const verifyLedgerExport = (bundle: unknown, verifyingKeys: ReadonlyMap<string, KeyObject>): ExportVerificationReport => {
  const problems: ExportProblem[] = [];
  const warnings: string[] = [];
  const record = isRecord(bundle) ? bundle : null;
  if (!record) problems.push({ code: 'BUNDLE_MALFORMED', message: 'the export is not a JSON object' });
  const field = (name: string): unknown => record?.[name];
  if (record && field('format') !== LEDGER_EXPORT_FORMAT) {
    problems.push({ code: 'BUNDLE_MALFORMED', message: `the export's format is ${JSON.stringify(field('format'))}, not ${LEDGER_EXPORT_FORMAT}` });
  }
  const tenantId = typeof field('tenantId') === 'string' ? (field('tenantId') as string) : null;
  if (record && tenantId === null) problems.push({ code: 'BUNDLE_MALFORMED', message: 'the export names no tenantId' });
  const listOf = (name: string): unknown[] => {
    const value = field(name);
    if (Array.isArray(value)) return value;
    if (record) problems.push({ code: 'BUNDLE_MALFORMED', message: `the export's ${name} is not a list` });
    return [];
  };
  const events = listOf('events');
  const checkpoints = listOf('checkpoints');
  const proofs = listOf('consistencyProofs');

  const { leaves, lastHeight } = checkEvents(tenantId, events, problems, warnings);
  const verified = checkCheckpoints(tenantId, checkpoints, verifyingKeys, problems);
  const provenSize = checkRoots(verified, leaves, lastHeight, problems);
  checkConsistency(verified, proofs, problems);

  const largestCovered = Math.max(0, ...verified.map((checkpoint) => checkpoint.treeSize).filter((size) => size <= leaves.length));
  if (verified.length === 0) {
    warnings.push('no checkpoint verifies with the keys given: the chain may hold together, but nothing shows these are the events the ledger signed, nor that none were cut off at the end');
  } else if (largestCovered < leaves.length && verified.every((checkpoint) => checkpoint.treeSize <= leaves.length)) {
    warnings.push(`events ${largestCovered + 1} to ${leaves.length} of the export come after the latest checkpoint: they are chained, but no signature covers them yet`);
  }
  return {
    ok: problems.length === 0,
    tenantId,
    exportedAt: typeof field('exportedAt') === 'string' ? (field('exportedAt') as string) : null,
    events: events.length,
    checkpoints: checkpoints.length,
    verifiedCheckpoints: verified.length,
    provenSize,
    problems,
    warnings,
  };
};
