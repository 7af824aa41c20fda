import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { consistencyProof, inclusionProof, leafHash, merkleRoot } from './merkle-tree';
import { verifyConsistency, verifyInclusion } from './merkle-verify';

const MAX_SIZE = 200;

const leafHashes = Array.from({ length: MAX_SIZE }, (_, index) => leafHash(Buffer.from(`event ${index}`, 'utf8')));
// roots[n] is the root of the first n leaves.
const roots = Array.from({ length: MAX_SIZE + 1 }, (_, size) => merkleRoot(leafHashes.slice(0, size)));
const emptyRoot = createHash('sha256').digest();

// A history that differs from the honest one in one leaf only: what a rewritten ledger looks like.
const rewrittenAt = (position: number): Buffer[] => leafHashes.map((hash, index) => (index === position ? leafHash(Buffer.from(`forged ${index}`)) : hash));

const flipped = (proof: readonly Buffer[], element: number, byte: number, bit: number): Buffer[] =>
  proof.map((hash, index) => {
    if (index !== element) return hash;
    const copy = Buffer.from(hash);
    copy[byte] = (copy[byte] as number) ^ (1 << bit);
    return copy;
  });

const sizeAndIndex = fc.integer({ min: 1, max: MAX_SIZE }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));
const twoSizes = fc.integer({ min: 1, max: MAX_SIZE }).chain((newSize) => fc.tuple(fc.integer({ min: 0, max: newSize }), fc.constant(newSize)));
const strictlyGrowing = fc.integer({ min: 2, max: MAX_SIZE }).chain((newSize) => fc.tuple(fc.integer({ min: 1, max: newSize - 1 }), fc.constant(newSize)));
const flip = fc.record({ byte: fc.integer({ min: 0, max: 31 }), bit: fc.integer({ min: 0, max: 7 }), element: fc.nat() });

describe('verifyInclusion (RFC 9162 section 2.1.3.2)', () => {
  it('accepts the audit path of every leaf in every tree of up to 64 leaves', () => {
    for (let size = 1; size <= 64; size += 1) {
      for (let index = 0; index < size; index += 1) {
        expect(verifyInclusion(leafHashes[index] as Buffer, index, size, inclusionProof(leafHashes, index, size), roots[size] as Buffer)).toBe(true);
      }
    }
  });

  it('accepts every audit path in trees of up to 200 leaves', () => {
    fc.assert(
      fc.property(sizeAndIndex, ([size, index]) => {
        expect(verifyInclusion(leafHashes[index] as Buffer, index, size, inclusionProof(leafHashes, index, size), roots[size] as Buffer)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an audit path claimed for another index', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(), ([size, index], pick) => {
        fc.pre(size > 1);
        const other = (index + 1 + (pick % (size - 1))) % size;
        const proof = inclusionProof(leafHashes, index, size);

        expect(verifyInclusion(leafHashes[index] as Buffer, other, size, proof, roots[size] as Buffer)).toBe(false);
        expect(verifyInclusion(leafHashes[other] as Buffer, other, size, proof, roots[size] as Buffer)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an audit path checked against the size and root of another tree', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.integer({ min: 1, max: MAX_SIZE }), ([size, index], otherSize) => {
        fc.pre(otherSize !== size && index < otherSize);
        const proof = inclusionProof(leafHashes, index, size);

        expect(verifyInclusion(leafHashes[index] as Buffer, index, otherSize, proof, roots[otherSize] as Buffer)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an audit path against the root of a tree with one leaf rewritten', () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(), ([size, index], pick) => {
        const forgedRoot = merkleRoot(rewrittenAt(pick % size).slice(0, size));

        expect(verifyInclusion(leafHashes[index] as Buffer, index, size, inclusionProof(leafHashes, index, size), forgedRoot)).toBe(false);
      }),
    );
  });

  it('refuses an audit path with any bit of any of its hashes flipped', () => {
    fc.assert(
      fc.property(sizeAndIndex, flip, ([size, index], { byte, bit, element }) => {
        const proof = inclusionProof(leafHashes, index, size);
        fc.pre(proof.length > 0);

        expect(verifyInclusion(leafHashes[index] as Buffer, index, size, flipped(proof, element % proof.length, byte, bit), roots[size] as Buffer)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a leaf hash or a root with a bit flipped', () => {
    fc.assert(
      fc.property(sizeAndIndex, flip, ([size, index], { byte, bit }) => {
        const proof = inclusionProof(leafHashes, index, size);
        const [leaf, root] = [leafHashes[index] as Buffer, roots[size] as Buffer];

        expect(verifyInclusion(flipped([leaf], 0, byte, bit)[0] as Buffer, index, size, proof, root)).toBe(false);
        expect(verifyInclusion(leaf, index, size, proof, flipped([root], 0, byte, bit)[0] as Buffer)).toBe(false);
      }),
    );
  });

  it('refuses an audit path with a hash left off or one added', () => {
    fc.assert(
      fc.property(sizeAndIndex, ([size, index]) => {
        const proof = inclusionProof(leafHashes, index, size);
        const [leaf, root] = [leafHashes[index] as Buffer, roots[size] as Buffer];

        if (proof.length > 0) expect(verifyInclusion(leaf, index, size, proof.slice(0, -1), root)).toBe(false);
        expect(verifyInclusion(leaf, index, size, [...proof, leafHashes[0] as Buffer], root)).toBe(false);
      }),
    );
  });

  it('follows the right path in a tree of more than 2^32 leaves', () => {
    // In a tree of 2^33 + 1 leaves the last leaf's only sibling is the root of the first 2^33.
    const firstHalf = createHash('sha256').update('stands for 2^33 leaves').digest();
    const leaf = leafHashes[0] as Buffer;
    const root = createHash('sha256').update(Uint8Array.of(1)).update(firstHalf).update(leaf).digest();

    expect(verifyInclusion(leaf, 2 ** 33, 2 ** 33 + 1, [firstHalf], root)).toBe(true);
    expect(verifyInclusion(leaf, 2 ** 32, 2 ** 33 + 1, [firstHalf], root)).toBe(false);
  });

  it.each([
    ['an index at the tree size', 3, 3],
    ['a negative index', -1, 3],
    ['a fractional index', 0.5, 3],
    ['an empty tree', 0, 0],
    ['a size beyond 2^53', 0, 2 ** 53 + 2],
  ])('refuses %s without throwing', (_name, index, size) => {
    expect(verifyInclusion(leafHashes[0] as Buffer, index, size, [], roots[1] as Buffer)).toBe(false);
  });

  it('refuses hashes that are not 32 bytes without throwing', () => {
    const proof = inclusionProof(leafHashes, 0, 2);

    expect(verifyInclusion(Buffer.alloc(0), 0, 2, proof, roots[2] as Buffer)).toBe(false);
    expect(verifyInclusion(leafHashes[0] as Buffer, 0, 2, [Buffer.alloc(33)], roots[2] as Buffer)).toBe(false);
    expect(verifyInclusion(leafHashes[0] as Buffer, 0, 2, proof, (roots[2] as Buffer).subarray(1))).toBe(false);
    expect(verifyInclusion(leafHashes[0] as Buffer, 0, 2, 'not a proof' as unknown as Buffer[], roots[2] as Buffer)).toBe(false);
  });
});

describe('verifyConsistency (RFC 9162 section 2.1.4.2)', () => {
  it('accepts the consistency proof between every two sizes up to 64 leaves', () => {
    for (let newSize = 0; newSize <= 64; newSize += 1) {
      for (let oldSize = 0; oldSize <= newSize; oldSize += 1) {
        const proof = consistencyProof(leafHashes, oldSize, newSize);

        expect(verifyConsistency(oldSize, newSize, roots[oldSize] as Buffer, roots[newSize] as Buffer, proof)).toBe(true);
      }
    }
  });

  it('accepts every consistency proof between two sizes up to 200 leaves', () => {
    fc.assert(
      fc.property(twoSizes, ([oldSize, newSize]) => {
        expect(verifyConsistency(oldSize, newSize, roots[oldSize] as Buffer, roots[newSize] as Buffer, consistencyProof(leafHashes, oldSize, newSize))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an old root whose history was rewritten, so a changed, removed or reordered event shows', () => {
    fc.assert(
      fc.property(strictlyGrowing, fc.nat(), ([oldSize, newSize], pick) => {
        const forgedOldRoot = merkleRoot(rewrittenAt(pick % oldSize).slice(0, oldSize));

        expect(verifyConsistency(oldSize, newSize, forgedOldRoot, roots[newSize] as Buffer, consistencyProof(leafHashes, oldSize, newSize))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a new root whose history rewrote any leaf, old or new', () => {
    fc.assert(
      fc.property(strictlyGrowing, fc.nat(), ([oldSize, newSize], pick) => {
        const forgedNewRoot = merkleRoot(rewrittenAt(pick % newSize).slice(0, newSize));

        expect(verifyConsistency(oldSize, newSize, roots[oldSize] as Buffer, forgedNewRoot, consistencyProof(leafHashes, oldSize, newSize))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a proof checked against the sizes and roots of another pair of trees', () => {
    fc.assert(
      fc.property(strictlyGrowing, strictlyGrowing, ([oldSize, newSize], [otherOld, otherNew]) => {
        fc.pre(oldSize !== otherOld || newSize !== otherNew);
        const proof = consistencyProof(leafHashes, oldSize, newSize);

        expect(verifyConsistency(otherOld, otherNew, roots[otherOld] as Buffer, roots[otherNew] as Buffer, proof)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a consistency proof with any bit of any of its hashes flipped', () => {
    fc.assert(
      fc.property(strictlyGrowing, flip, ([oldSize, newSize], { byte, bit, element }) => {
        const proof = consistencyProof(leafHashes, oldSize, newSize);

        expect(verifyConsistency(oldSize, newSize, roots[oldSize] as Buffer, roots[newSize] as Buffer, flipped(proof, element % proof.length, byte, bit))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a consistency proof with a hash left off or one added', () => {
    fc.assert(
      fc.property(strictlyGrowing, ([oldSize, newSize]) => {
        const proof = consistencyProof(leafHashes, oldSize, newSize);
        const [oldRoot, newRoot] = [roots[oldSize] as Buffer, roots[newSize] as Buffer];

        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof.slice(0, -1))).toBe(false);
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, [...proof, leafHashes[0] as Buffer])).toBe(false);
      }),
    );
  });

  it('takes the empty tree as a prefix of every tree, with an empty proof and the empty root only', () => {
    expect(verifyConsistency(0, 7, emptyRoot, roots[7] as Buffer, [])).toBe(true);
    expect(verifyConsistency(0, 7, roots[1] as Buffer, roots[7] as Buffer, [])).toBe(false);
    expect(verifyConsistency(0, 7, emptyRoot, roots[7] as Buffer, [leafHashes[0] as Buffer])).toBe(false);
  });

  it('takes two trees of one size as consistent only with equal roots and an empty proof', () => {
    expect(verifyConsistency(5, 5, roots[5] as Buffer, roots[5] as Buffer, [])).toBe(true);
    expect(verifyConsistency(5, 5, roots[5] as Buffer, merkleRoot(rewrittenAt(2).slice(0, 5)), [])).toBe(false);
    expect(verifyConsistency(5, 5, roots[5] as Buffer, roots[5] as Buffer, [leafHashes[0] as Buffer])).toBe(false);
  });

  it('refuses a tree that shrank, so a truncated tail shows against an earlier checkpoint', () => {
    expect(verifyConsistency(7, 5, roots[7] as Buffer, roots[5] as Buffer, consistencyProof(leafHashes, 5, 7))).toBe(false);
  });

  it('refuses an empty proof between two different non-empty sizes', () => {
    expect(verifyConsistency(4, 8, roots[4] as Buffer, roots[8] as Buffer, [])).toBe(false);
    expect(verifyConsistency(3, 8, roots[3] as Buffer, roots[8] as Buffer, [])).toBe(false);
  });

  it('follows the right path between trees of more than 2^32 leaves', () => {
    const oldRoot = createHash('sha256').update('stands for 2^33 leaves').digest();
    const leaf = leafHashes[0] as Buffer;
    const newRoot = createHash('sha256').update(Uint8Array.of(1)).update(oldRoot).update(leaf).digest();

    expect(verifyConsistency(2 ** 33, 2 ** 33 + 1, oldRoot, newRoot, [leaf])).toBe(true);
    expect(verifyConsistency(2 ** 33 - 1, 2 ** 33 + 1, oldRoot, newRoot, [leaf])).toBe(false);
  });

  it('refuses malformed sizes and hashes without throwing', () => {
    const proof = consistencyProof(leafHashes, 3, 8);

    expect(verifyConsistency(-1, 8, roots[3] as Buffer, roots[8] as Buffer, proof)).toBe(false);
    expect(verifyConsistency(3, 8.5, roots[3] as Buffer, roots[8] as Buffer, proof)).toBe(false);
    expect(verifyConsistency(3, 8, Buffer.alloc(31), roots[8] as Buffer, proof)).toBe(false);
    expect(verifyConsistency(3, 8, roots[3] as Buffer, roots[8] as Buffer, [...proof.slice(1), Buffer.alloc(2)])).toBe(false);
  });
});
