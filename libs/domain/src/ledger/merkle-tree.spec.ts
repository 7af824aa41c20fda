import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { LedgerEvent } from '@halm/contracts';
import { canonicalize } from './canonical-json';
import { chain, EMPTY_HEAD } from './hash-chain';
import { consistencyProof, eventLeaf, eventLeafHash, inclusionProof, leafHash, leafHashOfText, MerkleAccumulator, merkleRoot, nodeHash } from './merkle-tree';

// The RFC's definitions, written again here from RFC 9162 section 2.1 on the leaves' bytes, so
// the expected values do not come from the code under test.
const sha256 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const leafOf = (data: Uint8Array): Buffer => sha256(Uint8Array.of(0), data);
const parentOf = (left: Uint8Array, right: Uint8Array): Buffer => sha256(Uint8Array.of(1), left, right);
const mth = (data: readonly Uint8Array[]): Buffer => {
  const n = data.length;
  if (n === 0) return sha256();
  if (n === 1) return leafOf(data[0] as Uint8Array);
  const k = 2 ** Math.floor(Math.log2(n - 1));
  return parentOf(mth(data.slice(0, k)), mth(data.slice(k)));
};

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const unhex = (text: string): Buffer => Buffer.from(text, 'hex');

const data = Array.from({ length: 200 }, (_, index) => Buffer.from(`event ${index}`, 'utf8'));
const leafHashes = data.map(leafOf);

describe('merkle tree (RFC 9162 section 2.1)', () => {
  it('hashes a leaf given as text like the same text given as UTF-8 bytes', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => {
      expect(leafHashOfText(text)).toEqual(leafHash(Buffer.from(text, 'utf8')));
    }));
  });

  describe('hashing', () => {
    it('hashes a leaf as SHA-256 of 0x00 and the leaf bytes', () => {
      expect(hex(leafHash(Buffer.from('abc')))).toBe(hex(sha256(Buffer.from('\u0000abc', 'latin1'))));
    });

    it('hashes a node as SHA-256 of 0x01, the left and the right hash', () => {
      const [left, right] = [leafHashes[0] as Buffer, leafHashes[1] as Buffer];

      expect(hex(nodeHash(left, right))).toBe(hex(sha256(Buffer.concat([Buffer.of(1), left, right]))));
    });
  });

  describe('roots of small trees, built by hand', () => {
    const [a, b, c, d, e, f, g] = data.slice(0, 7).map(leafOf) as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];

    it('gives the empty tree the SHA-256 of the empty string', () => {
      expect(hex(merkleRoot([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    });

    it('gives a one-leaf tree its leaf hash', () => {
      expect(hex(merkleRoot([a]))).toBe(hex(a));
    });

    it('joins two leaves under one node', () => {
      expect(hex(merkleRoot([a, b]))).toBe(hex(parentOf(a, b)));
    });

    it('splits three leaves after the second, the largest power of two below three', () => {
      expect(hex(merkleRoot([a, b, c]))).toBe(hex(parentOf(parentOf(a, b), c)));
    });

    it('splits seven leaves four and three, and the three two and one', () => {
      const expected = parentOf(parentOf(parentOf(a, b), parentOf(c, d)), parentOf(parentOf(e, f), g));

      expect(hex(merkleRoot([a, b, c, d, e, f, g]))).toBe(hex(expected));
    });

    it('agrees with the recursive definition for every size up to 200', () => {
      for (let size = 0; size <= 200; size += 1) expect(hex(merkleRoot(leafHashes.slice(0, size)))).toBe(hex(mth(data.slice(0, size))));
    });
  });

  // The reference tree of Certificate Transparency (RFC 6962, whose hashing RFC 9162 keeps): eight
  // leaves and the tree heads every CT implementation reproduces.
  describe('the Certificate Transparency reference tree', () => {
    const referenceLeaves = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(unhex);
    const referenceHashes = referenceLeaves.map(leafHash);
    const referenceRoots = [
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];

    it.each(referenceRoots.map((root, size) => [size, root]))('has the reference root for %i leaves', (size, root) => {
      expect(hex(merkleRoot(referenceHashes.slice(0, size as number)))).toBe(root);
    });

    it.each([
      [0, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
      [5, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
    ])('gives leaf %i of the eight the reference audit path', (index, expected) => {
      expect(inclusionProof(referenceHashes, index as number, 8).map(hex)).toEqual(expected);
    });

    it.each([
      [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
      [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
      [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
    ])('gives the reference consistency proof from %i to %i leaves', (oldSize, newSize, expected) => {
      expect(consistencyProof(referenceHashes, oldSize as number, newSize as number).map(hex)).toEqual(expected);
    });
  });

  // RFC 9162 section 2.1.5's example tree of seven leaves d0..d6, named as the RFC draws it.
  describe('the proofs of RFC 9162 section 2.1.5', () => {
    const [a, b, c, d, e, f, j] = data.slice(0, 7).map(leafOf) as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
    const g = parentOf(a, b);
    const h = parentOf(c, d);
    const i = parentOf(e, f);
    const k = parentOf(g, h);
    const l = parentOf(i, j);
    const seven = [a, b, c, d, e, f, j];

    it.each([
      ['d0', 0, [b, h, l]],
      ['d3', 3, [c, g, l]],
      ['d4', 4, [f, j, k]],
      ['d6', 6, [i, k]],
    ])('gives %s the audit path the RFC lists', (_name, index, expected) => {
      expect(inclusionProof(seven, index as number, 7).map(hex)).toEqual((expected as Buffer[]).map(hex));
    });

    it.each([
      ['hash0 (three leaves)', 3, [c, d, g, l]],
      ['hash1 (four leaves)', 4, [l]],
      ['hash2 (six leaves)', 6, [i, j, k]],
    ])('proves %s consistent with the seven-leaf tree as the RFC lists', (_name, oldSize, expected) => {
      expect(consistencyProof(seven, oldSize as number, 7).map(hex)).toEqual((expected as Buffer[]).map(hex));
    });
  });

  describe('proof inputs', () => {
    it('gives an empty audit path for the only leaf of a one-leaf tree', () => {
      expect(inclusionProof(leafHashes, 0, 1)).toEqual([]);
    });

    it('proves over the first treeSize leaf hashes and ignores the rest', () => {
      expect(inclusionProof(leafHashes, 2, 5)).toEqual(inclusionProof(leafHashes.slice(0, 5), 2, 5));
      expect(consistencyProof(leafHashes, 3, 5)).toEqual(consistencyProof(leafHashes.slice(0, 5), 3, 5));
    });

    it('gives an empty consistency proof from the empty tree and between equal sizes', () => {
      expect(consistencyProof(leafHashes, 0, 9)).toEqual([]);
      expect(consistencyProof(leafHashes, 9, 9)).toEqual([]);
    });

    it.each([
      ['an index at the tree size', () => inclusionProof(leafHashes, 5, 5)],
      ['a negative index', () => inclusionProof(leafHashes, -1, 5)],
      ['a fractional index', () => inclusionProof(leafHashes, 1.5, 5)],
      ['a tree larger than the leaves given', () => inclusionProof(leafHashes.slice(0, 4), 0, 5)],
      ['an old tree larger than the new one', () => consistencyProof(leafHashes, 6, 5)],
      ['a new tree larger than the leaves given', () => consistencyProof(leafHashes.slice(0, 4), 1, 5)],
    ])('refuses %s', (_name, prove) => {
      expect(prove).toThrow(RangeError);
    });

    it('refuses a leaf hash that is not 32 bytes', () => {
      expect(() => merkleRoot([leafHashes[0] as Buffer, Buffer.alloc(31)])).toThrow(TypeError);
    });
  });

  describe('MerkleAccumulator', () => {
    it('has the empty root before any leaf', () => {
      expect(hex(new MerkleAccumulator().root())).toBe(hex(sha256()));
    });

    it('has the recursive root at every size up to 200', () => {
      const accumulator = new MerkleAccumulator();
      for (let size = 1; size <= 200; size += 1) {
        expect(accumulator.append(leafHashes[size - 1] as Buffer)).toBe(size);
        expect(hex(accumulator.root())).toBe(hex(mth(data.slice(0, size))));
      }
    });

    it('keeps one frontier hash per set bit of its size', () => {
      const accumulator = new MerkleAccumulator();
      leafHashes.slice(0, 13).forEach((hash) => accumulator.append(hash));

      // 13 = 8 + 4 + 1: the perfect subtrees over leaves 0..7, 8..11 and 12.
      expect(accumulator.frontier.map(hex)).toEqual([mth(data.slice(0, 8)), mth(data.slice(8, 12)), mth(data.slice(12, 13))].map(hex));
    });

    it('carries on from a restored size and frontier exactly as if it had never stopped', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 80 }), (before, after) => {
          const original = new MerkleAccumulator();
          leafHashes.slice(0, before).forEach((hash) => original.append(hash));
          const restored = MerkleAccumulator.restore(original.size, original.frontier);
          leafHashes.slice(before, before + after).forEach((hash) => restored.append(hash));

          expect(restored.size).toBe(before + after);
          expect(hex(restored.root())).toBe(hex(mth(data.slice(0, before + after))));
        }),
      );
    });

    it('hands out copies, so changing them leaves the accumulator alone', () => {
      const accumulator = new MerkleAccumulator();
      accumulator.append(leafHashes[0] as Buffer);
      const root = hex(accumulator.root());

      accumulator.frontier[0]?.fill(0);
      accumulator.root().fill(0);

      expect(hex(accumulator.root())).toBe(root);
    });

    it('counts past 2^32 leaves', () => {
      const firstHalf = mth(data.slice(0, 1));
      const accumulator = MerkleAccumulator.restore(2 ** 33, [firstHalf]);

      expect(accumulator.append(leafHashes[1] as Buffer)).toBe(2 ** 33 + 1);
      expect(accumulator.frontier.map(hex)).toEqual([hex(firstHalf), hex(leafHashes[1] as Buffer)]);
      expect(hex(accumulator.root())).toBe(hex(parentOf(firstHalf, leafHashes[1] as Buffer)));
    });

    it('refuses a frontier that does not fit the size', () => {
      expect(() => MerkleAccumulator.restore(3, [leafHashes[0] as Buffer])).toThrow(RangeError);
      expect(() => MerkleAccumulator.restore(1, [Buffer.alloc(16)])).toThrow(TypeError);
    });

    it('refuses a leaf hash that is not 32 bytes', () => {
      expect(() => new MerkleAccumulator().append(Buffer.from('not a hash'))).toThrow(TypeError);
    });
  });

  describe('ledger events as leaves', () => {
    const event = chain(EMPTY_HEAD, {
      tenantId: 'ten_a',
      eventId: 'prop_1.decision',
      type: 'DecisionRecorded',
      recordedAt: '2026-03-15T10:00:00.000Z',
      data: { b: 1, a: 'é' },
    });

    it('takes the UTF-8 of the canonical JSON of the stored event, hash included, as the leaf', () => {
      expect(eventLeaf(event).toString('utf8')).toBe(canonicalize(event));
      expect(eventLeaf(event).toString('utf8')).toContain(`"hash":"${event.hash}"`);
      expect(hex(eventLeafHash(event))).toBe(hex(leafOf(Buffer.from(canonicalize(event), 'utf8'))));
    });

    it('ignores fields that are not part of a ledger event', () => {
      const withExtra = { ...event, sequence: 42 } as LedgerEvent;

      expect(hex(eventLeafHash(withExtra))).toBe(hex(eventLeafHash(event)));
    });

    it('changes the leaf hash when any stored field changes, the hash field too', () => {
      const altered: LedgerEvent[] = [
        { ...event, hash: '0'.repeat(64) },
        { ...event, height: 2 },
        { ...event, data: { b: 1, a: 'e' } },
        { ...event, recordedAt: '2026-03-15T10:00:00.001Z' },
      ];
      for (const other of altered) expect(hex(eventLeafHash(other))).not.toBe(hex(eventLeafHash(event)));
    });
  });
});
