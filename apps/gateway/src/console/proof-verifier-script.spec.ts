import { generateKeyPairSync } from 'node:crypto';
import { createContext, Script } from 'node:vm';
import fc from 'fast-check';
import type { LedgerEvent } from '@halm/contracts';
import { canonicalize, eventLeafHash, hashEvent, inclusionProof, merkleRoot, signCheckpoint, type SignedCheckpoint } from '@halm/domain';
import { PROOF_VERIFIER_SCRIPT } from './proof-verifier-script';

interface BrowserVerifier {
  available: boolean;
  canonicalize(value: unknown): string;
  eventHash(event: unknown): Promise<string>;
  leafHash(event: unknown): Promise<string>;
  rootFromInclusion(leaf: string, index: number, treeSize: number, proof: string[]): Promise<string | null>;
  checkpointSignature(checkpoint: SignedCheckpoint, publicKey: string): Promise<boolean | null>;
  verifyInclusion(answer: unknown): Promise<{ verified: boolean; treeSize: number }>;
}

// The script as a browser runs it: its own realm, with only what a browser page offers it.
const verifier = new Script(`${PROOF_VERIFIER_SCRIPT}; HalmProof`).runInContext(createContext({ crypto: globalThis.crypto, TextEncoder, atob })) as BrowserVerifier;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const eventAt = (height: number, prevHash: string): LedgerEvent => {
  const unsealed = {
    tenantId: 'ten_0123456789abcdef',
    height,
    prevHash,
    eventId: `prop_${height}.decision`,
    type: 'DecisionRecorded' as const,
    recordedAt: '2026-03-15T10:00:00.000Z',
    data: { proposalId: `prop_${height}`, amount: height * 10.5, note: 'é ✓ "quoted" \u0001', nested: { z: 1, a: [true, null] } },
  };
  return { ...unsealed, hash: hashEvent(unsealed) };
};

const ledger = (size: number): LedgerEvent[] =>
  Array.from({ length: size }).reduce<LedgerEvent[]>((events, _, index) => [...events, eventAt(index + 1, events.at(-1)?.hash ?? '0'.repeat(64))], []);

describe('the console\'s in-browser proof verifier', () => {
  it('has WebCrypto where the page gets it', () => {
    expect(verifier.available).toBe(true);
  });

  it('canonicalizes JSON exactly as the ledger does (RFC 8785)', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => verifier.canonicalize(value) === canonicalize(value)));
  });

  it('recomputes the event hash and the RFC 9162 leaf hash the ledger computes', async () => {
    for (const event of ledger(3)) {
      expect(await verifier.eventHash(event)).toBe(event.hash);
      expect(await verifier.leafHash(event)).toBe(hex(eventLeafHash(event)));
    }
  });

  it('walks every audit path of trees of 1 to 17 leaves to the tree\'s root', async () => {
    for (let size = 1; size <= 17; size += 1) {
      const leaves = ledger(size).map(eventLeafHash);
      const root = hex(merkleRoot(leaves));
      for (let index = 0; index < size; index += 1) {
        const proof = inclusionProof(leaves, index, size).map(hex);
        expect({ size, index, root: await verifier.rootFromInclusion(hex(leaves[index]!), index, size, proof) }).toEqual({ size, index, root });
      }
    }
  });

  it('does not reach the root with an altered path, another leaf index or a proof too short', async () => {
    const leaves = ledger(9).map(eventLeafHash);
    const root = hex(merkleRoot(leaves));
    const proof = inclusionProof(leaves, 4, 9).map(hex);
    const altered = [...proof];
    altered[1] = altered[1]!.replace(/^./, (digit) => (digit === '0' ? '1' : '0'));

    expect(await verifier.rootFromInclusion(hex(leaves[4]!), 4, 9, altered)).not.toBe(root);
    expect(await verifier.rootFromInclusion(hex(leaves[4]!), 5, 9, proof)).not.toBe(root);
    expect(await verifier.rootFromInclusion(hex(leaves[4]!), 4, 9, proof.slice(1))).toBeNull();
    expect(await verifier.rootFromInclusion(hex(leaves[4]!), 9, 9, proof)).toBeNull();
  });

  it('verifies an answer of GET /api/audit/events/:height, and refuses one whose event was altered', async () => {
    const events = ledger(6);
    const leaves = events.map(eventLeafHash);
    const { privateKey } = generateKeyPairSync('ed25519');
    const checkpoint = signCheckpoint({ tenantId: 'ten_0123456789abcdef', treeSize: 6, rootHash: hex(merkleRoot(leaves)), issuedAt: '2026-03-15T10:00:01.000Z' }, privateKey, 'key-1');
    const answer = { event: events[2], leafHash: hex(leaves[2]!), proof: { leafIndex: 2, treeSize: 6, hashes: inclusionProof(leaves, 2, 6).map(hex) }, checkpoint };

    expect(await verifier.verifyInclusion(answer)).toMatchObject({ verified: true, treeSize: 6 });
    expect(await verifier.verifyInclusion({ ...answer, event: { ...events[2]!, data: { proposalId: 'prop_3', amount: 1 } } })).toMatchObject({ verified: false });
  });

  it('checks the checkpoint\'s Ed25519 signature with the ledger\'s public key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const spki = publicKey.export({ type: 'spki', format: 'der' }).toString('base64url');
    const checkpoint = signCheckpoint({ tenantId: 'ten_0123456789abcdef', treeSize: 3, rootHash: 'a'.repeat(64), issuedAt: '2026-03-15T10:00:01.000Z' }, privateKey, 'key-1');

    expect(await verifier.checkpointSignature(checkpoint, spki)).toBe(true);
    expect(await verifier.checkpointSignature({ ...checkpoint, treeSize: 4 }, spki)).toBe(false);
  });
});
