import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { LedgerEvent } from '@halm/contracts';
import { publicKeyOf } from '../tokens/execution-token';
import { type SignedCheckpoint, signCheckpoint } from './checkpoint';
import { type ExportProblem, publicKeyId, verifyingKeysFrom, verifyLedgerExport } from './export-verification';
import { chain, EMPTY_HEAD, headOf } from './hash-chain';
import { buildLedgerExport, type LedgerExport } from './ledger-export';
import { eventLeafHash, merkleRoot } from './merkle-tree';
import { rootsAtSizes } from './merkle-verify';

const TENANT = 'ten_a';
const ledgerKey = generateKeyPairSync('ed25519');
const publicKey = publicKeyOf(ledgerKey.privateKey);
const keyId = publicKeyId(publicKey);
const keys = verifyingKeysFrom([publicKey]);

const history = (count: number, tenantId = TENANT): LedgerEvent[] => {
  const events: LedgerEvent[] = [];
  let head = EMPTY_HEAD;
  for (let index = 1; index <= count; index += 1) {
    const event = chain(head, { tenantId, eventId: `e${index}`, type: 'DecisionRecorded', recordedAt: `2026-03-15T10:00:${String(index % 60).padStart(2, '0')}.000Z`, data: { amount: index } });
    events.push(event);
    head = headOf(event);
  }
  return events;
};

const checkpointOf = (events: readonly LedgerEvent[], treeSize: number, minute: number, signingKey: KeyObject = ledgerKey.privateKey, signedKeyId = keyId): SignedCheckpoint =>
  signCheckpoint(
    { tenantId: events[0]?.tenantId ?? TENANT, treeSize, rootHash: merkleRoot(events.slice(0, treeSize).map(eventLeafHash)).toString('hex'), issuedAt: `2026-03-15T11:${String(minute).padStart(2, '0')}:00.000Z` },
    signingKey,
    signedKeyId,
  );

/** Twelve events with checkpoints at 4, 8 and 12, as `./halm export` writes them. */
const honestExport = (): LedgerExport => {
  const events = history(12);
  return buildLedgerExport(TENANT, events, [checkpointOf(events, 4, 1), checkpointOf(events, 8, 2), checkpointOf(events, 12, 3)], '2026-03-15T12:00:00.000Z');
};

const codes = (problems: readonly ExportProblem[]) => problems.map((problem) => problem.code);

describe('verifyLedgerExport', () => {
  it('passes an honest export and says how far the signatures prove it', () => {
    const report = verifyLedgerExport(JSON.parse(JSON.stringify(honestExport())), keys);

    expect(report).toEqual({
      ok: true,
      tenantId: TENANT,
      exportedAt: '2026-03-15T12:00:00.000Z',
      events: 12,
      checkpoints: 3,
      verifiedCheckpoints: 3,
      provenSize: 12,
      problems: [],
      warnings: [],
    });
  });

  it('names an altered event by height and id, and the first checkpoint that no longer matches', () => {
    const bundle = honestExport();
    bundle.events[5] = { ...(bundle.events[5] as LedgerEvent), data: { amount: 1_000_000 } };

    const report = verifyLedgerExport(bundle, keys);

    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ code: 'EVENT_ALTERED', height: 6, eventId: 'e6', message: expect.stringMatching(/height 6 \(e6\).*altered/) });
    expect(report.problems[1]).toMatchObject({ code: 'CHECKPOINT_ROOT_MISMATCH', treeSize: 8, message: expect.stringMatching(/from height 5 to 8/) });
    expect(report.provenSize).toBe(4);
  });

  it('catches an altered event whose hash and successors were all recomputed, through the checkpoints alone', () => {
    const bundle = honestExport();
    const rewritten: LedgerEvent[] = [];
    let head = headOf(bundle.events[4] as LedgerEvent);
    for (const event of bundle.events.slice(5)) {
      const next = chain(head, { ...event, data: event.eventId === 'e6' ? { amount: 1_000_000 } : event.data });
      rewritten.push(next);
      head = headOf(next);
    }
    bundle.events.splice(5, rewritten.length, ...rewritten);

    const report = verifyLedgerExport(bundle, keys);

    expect(codes(report.problems)).toEqual(['CHECKPOINT_ROOT_MISMATCH']);
    expect(report.problems[0]?.message).toMatch(/from height 5 to 8 .*the first 4 match an earlier checkpoint; 1 later checkpoint, of size 12, disagrees too$/);
  });

  it('names the height of a removed event', () => {
    const bundle = honestExport();
    bundle.events.splice(6, 1);

    const report = verifyLedgerExport(bundle, keys);

    expect(report.problems[0]).toMatchObject({ code: 'EVENTS_MISSING', height: 8, eventId: 'e8', message: 'no event at height 7 before the event at height 8 (e8): removed' });
    expect(codes(report.problems)).toContain('CHECKPOINT_ROOT_MISMATCH');
    expect(codes(report.problems)).not.toContain('EVENT_ALTERED');
  });

  it('names two reordered events', () => {
    const bundle = honestExport();
    const [fifth, sixth] = bundle.events.slice(4, 6) as [LedgerEvent, LedgerEvent];
    bundle.events.splice(4, 2, sixth, fifth);

    const report = verifyLedgerExport(bundle, keys);

    const reordered = report.problems.filter((problem) => problem.code === 'EVENT_OUT_OF_ORDER');
    expect(reordered).toEqual([
      expect.objectContaining({ height: 6, eventId: 'e6', message: 'the event at height 6 (e6) comes before height 5: events were reordered' }),
      expect.objectContaining({ height: 5, eventId: 'e5', message: 'the event at height 5 (e5) comes after height 6: events were reordered' }),
    ]);
    expect(codes(report.problems)).not.toContain('EVENTS_MISSING');
    expect(codes(report.problems)).not.toContain('PREV_HASH_MISMATCH');
  });

  it('detects a truncated tail only through the checkpoint that signed it, naming the first missing height', () => {
    const bundle = honestExport();
    bundle.events.splice(9);

    const report = verifyLedgerExport(bundle, keys);

    expect(report.problems).toEqual([
      {
        code: 'TAIL_TRUNCATED',
        height: 10,
        treeSize: 12,
        issuedAt: '2026-03-15T11:03:00.000Z',
        message: 'the checkpoint of size 12 issued 2026-03-15T11:03:00.000Z signs 12 events, but the export ends at height 9: heights 10 to 12 were cut off',
      },
    ]);
  });

  it('refuses a forged checkpoint: a changed root, a stranger’s key, another tenant', () => {
    const bundle = honestExport();
    const stranger = generateKeyPairSync('ed25519');
    const [first, second, third] = bundle.checkpoints as [SignedCheckpoint, SignedCheckpoint, SignedCheckpoint];
    bundle.checkpoints = [
      { ...first, rootHash: 'f'.repeat(64) },
      checkpointOf(bundle.events, 8, 2, stranger.privateKey, publicKeyId(publicKeyOf(stranger.privateKey))),
      checkpointOf(history(12, 'ten_b'), 12, 3),
    ];

    const report = verifyLedgerExport(bundle, keys);

    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'CHECKPOINT_BAD_SIGNATURE', treeSize: first.treeSize, message: expect.stringMatching(/size 4 .*forged or altered/) }),
      expect.objectContaining({ code: 'CHECKPOINT_UNKNOWN_KEY', treeSize: second.treeSize }),
      expect.objectContaining({ code: 'CHECKPOINT_WRONG_TENANT', treeSize: third.treeSize, message: expect.stringMatching(/tenant ten_b, not ten_a/) }),
    ]);
    expect(report.verifiedCheckpoints).toBe(0);
    expect(report.warnings).toEqual([expect.stringMatching(/no checkpoint verifies/)]);
  });

  it('catches a checkpoint signed by the ledger for a history other than the one it signed before', () => {
    const bundle = honestExport();
    const forked = history(12).map((event) => (event.height === 3 ? { ...event, data: { amount: -1 } } : event));
    bundle.checkpoints[2] = checkpointOf(forked, 12, 3);

    const report = verifyLedgerExport(bundle, keys);

    expect(report.problems).toEqual([
      expect.objectContaining({ code: 'CHECKPOINT_ROOT_MISMATCH', treeSize: 12 }),
      expect.objectContaining({ code: 'CONSISTENCY_PROOF_FAILED', treeSize: 12, message: expect.stringMatching(/size 12 .* does not extend .*size 8/) }),
    ]);
  });

  it('reports a missing consistency proof and a log that shrank', () => {
    const bundle = honestExport();
    bundle.consistencyProofs = bundle.consistencyProofs.filter((proof) => proof.toSize !== 12);
    bundle.checkpoints.push(checkpointOf(bundle.events, 6, 9));

    const report = verifyLedgerExport(bundle, keys);

    expect(codes(report.problems)).toEqual(['CHECKPOINT_SIZE_DECREASED', 'CONSISTENCY_PROOF_MISSING', 'CONSISTENCY_PROOF_MISSING', 'CONSISTENCY_PROOF_MISSING']);
  });

  it('finds events of another tenant, a repeated height and a broken link', () => {
    const bundle = honestExport();
    const foreign = history(12, 'ten_b')[2] as LedgerEvent;
    bundle.events[2] = foreign;
    bundle.events.push(bundle.events[11] as LedgerEvent);

    const report = verifyLedgerExport(bundle, keys);

    expect(report.problems.slice(0, 3)).toEqual([
      expect.objectContaining({ code: 'EVENT_WRONG_TENANT', height: 3 }),
      expect.objectContaining({ code: 'PREV_HASH_MISMATCH', height: 3 }),
      expect.objectContaining({ code: 'PREV_HASH_MISMATCH', height: 4, message: expect.stringMatching(/not the hash of height 3/) }),
    ]);
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'EVENT_DUPLICATE_HEIGHT', height: 12 }));
  });

  it('reports what is not an export at all, without throwing', () => {
    expect(codes(verifyLedgerExport(null, keys).problems)).toEqual(['BUNDLE_MALFORMED']);
    expect(codes(verifyLedgerExport({ format: 'other' }, keys).problems)).toEqual(['BUNDLE_MALFORMED', 'BUNDLE_MALFORMED', 'BUNDLE_MALFORMED', 'BUNDLE_MALFORMED', 'BUNDLE_MALFORMED']);
    const bundle = honestExport() as unknown as { events: unknown[] };
    bundle.events[0] = { height: 'one' };
    expect(verifyLedgerExport(bundle, keys).problems[0]).toMatchObject({ code: 'EVENT_MALFORMED', message: 'event number 1 of the export is not a ledger event: tenantId is not a string' });
  });

  it('warns about events after the latest checkpoint without calling them a problem', () => {
    const events = history(10);
    const report = verifyLedgerExport(buildLedgerExport(TENANT, events, [checkpointOf(events, 7, 1)], '2026-03-15T12:00:00.000Z'), keys);

    expect(report.ok).toBe(true);
    expect(report.warnings).toEqual(['events 8 to 10 of the export come after the latest checkpoint: they are chained, but no signature covers them yet']);
  });

  it('keys verifying keys by the id the ledger derives from the public key, in either base64 spelling', () => {
    const standard = Buffer.from(publicKey, 'base64url').toString('base64');

    expect([...verifyingKeysFrom([standard]).keys()]).toEqual([keyId]);
    expect(keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(() => verifyingKeysFrom(['not a key'])).toThrow();
  });
});

describe('rootsAtSizes (the verifier’s own Merkle roots)', () => {
  it('agrees with the prover’s root at every size up to 70', () => {
    const leaves = history(70).map(eventLeafHash);
    const sizes = Array.from({ length: 71 }, (_, size) => size);

    const roots = rootsAtSizes(leaves, sizes);

    for (const size of sizes) expect(Buffer.from(roots.get(size) as Uint8Array).toString('hex')).toBe(merkleRoot(leaves.slice(0, size)).toString('hex'));
  });

  it('leaves out sizes beyond the leaves given', () => {
    const leaves = history(3).map(eventLeafHash);

    expect([...rootsAtSizes(leaves, [2, 3, 4, -1, 1.5]).keys()]).toEqual([2, 3]);
  });
});
