import { createHash } from 'node:crypto';

// This file deliberately repeats RFC 9162's hashing instead of importing it from merkle-tree.ts:
// a verifier that shared the prover's code would share its mistakes and accept the proofs they
// produce. Here the RFC's verification algorithms are followed step by step, apart from the
// prover's recursive definitions (issue 4: every proof checked by a verifier that shares no
// code with the prover). Nothing here throws: proofs come from outside, and a bad one is false.

const HASH_BYTES = 32;

const hashChildren = (left: Uint8Array, right: Uint8Array): Uint8Array =>
  createHash('sha256').update(Uint8Array.of(0x01)).update(left).update(right).digest();

const isDigest = (value: unknown): value is Uint8Array => value instanceof Uint8Array && value.length === HASH_BYTES;

const isTreeSize = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

const sameBytes = (left: Uint8Array, right: Uint8Array): boolean => {
  if (left.length !== right.length) return false;
  for (let index = 0; index < left.length; index += 1) if (left[index] !== right[index]) return false;
  return true;
};

// Right shifts and the low bit done arithmetically: `>>` would wrap sizes beyond 2^31.
const half = (value: number): number => Math.floor(value / 2);
const lowBitSet = (value: number): boolean => value % 2 === 1;

const isPowerOfTwo = (value: number): boolean => {
  let rest = value;
  while (rest > 1 && rest % 2 === 0) rest /= 2;
  return rest === 1;
};

const isProof = (proof: unknown): proof is readonly Uint8Array[] => Array.isArray(proof) && proof.every(isDigest);

/**
 * RFC 9162 section 2.1.3.2: whether `proof` shows the leaf with hash `leafHash` at `index`
 * in the tree of `treeSize` leaves whose root is `root`. The tree size is only as good as the
 * root it comes with: take both from one verified checkpoint.
 */
export const verifyInclusion = (leafHash: Uint8Array, index: number, treeSize: number, proof: readonly Uint8Array[], root: Uint8Array): boolean => {
  if (!isTreeSize(index) || !isTreeSize(treeSize) || index >= treeSize) return false;
  if (!isDigest(leafHash) || !isDigest(root) || !isProof(proof)) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return false;
    if (lowBitSet(fn) || fn === sn) {
      r = hashChildren(p, r);
      while (!lowBitSet(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameBytes(r, root);
};

/**
 * RFC 9162 section 2.1.4.2: whether `proof` shows that the tree of `oldSize` leaves with root
 * `oldRoot` is a prefix of the tree of `newSize` leaves with root `newRoot`, so nothing the
 * old tree held was changed, removed or reordered. Beyond the RFC's 0 < oldSize < newSize:
 * equal sizes need equal roots and an empty proof; the empty tree (oldSize 0, root SHA-256 of
 * nothing) is a prefix of every tree, with an empty proof.
 */
export const verifyConsistency = (oldSize: number, newSize: number, oldRoot: Uint8Array, newRoot: Uint8Array, proof: readonly Uint8Array[]): boolean => {
  if (!isTreeSize(oldSize) || !isTreeSize(newSize) || oldSize > newSize) return false;
  if (!isDigest(oldRoot) || !isDigest(newRoot) || !isProof(proof)) return false;
  if (oldSize === newSize) return proof.length === 0 && sameBytes(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0 && sameBytes(oldRoot, createHash('sha256').digest());
  // Step 1: when the old tree is a perfect subtree of the new one, its root is the proof's first node.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (lowBitSet(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (lowBitSet(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (!lowBitSet(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameBytes(fr, oldRoot) && sameBytes(sr, newRoot);
};

/** RFC 9162: the hash of a leaf, SHA-256(0x00 || leaf bytes), computed here rather than taken from the prover. */
export const verifierLeafHash = (leaf: Uint8Array): Uint8Array => createHash('sha256').update(Uint8Array.of(0x00)).update(leaf).digest();

interface PerfectSubtree {
  leaves: number;
  hash: Uint8Array;
}

/**
 * The RFC 9162 root (MTH) of the tree of the first n leaves, for every n in `sizes`, in one
 * pass over the leaf hashes: what a verifier compares signed checkpoints with. Built bottom-up
 * with a stack of perfect subtrees (a new leaf merges with equal-sized neighbours; the root of
 * n leaves folds the stack from the right), not with the prover's top-down split. Sizes larger
 * than the number of leaves, or not whole numbers, get no entry; size 0 is SHA-256 of nothing.
 */
export const rootsAtSizes = (leafHashes: Iterable<Uint8Array>, sizes: Iterable<number>): Map<number, Uint8Array> => {
  const wanted = new Set([...sizes].filter(isTreeSize));
  const roots = new Map<number, Uint8Array>();
  if (wanted.has(0)) roots.set(0, createHash('sha256').digest());
  const stack: PerfectSubtree[] = [];
  let count = 0;
  for (const leaf of leafHashes) {
    if (roots.size === wanted.size) break;
    let top: PerfectSubtree = { leaves: 1, hash: leaf };
    for (let left = stack.at(-1); left && left.leaves === top.leaves; left = stack.at(-1)) {
      stack.pop();
      top = { leaves: left.leaves * 2, hash: hashChildren(left.hash, top.hash) };
    }
    stack.push(top);
    count += 1;
    if (wanted.has(count)) {
      const [rightmost, ...rest] = [...stack].reverse();
      roots.set(count, rest.reduce((right, subtree) => hashChildren(subtree.hash, right), (rightmost as PerfectSubtree).hash));
    }
  }
  return roots;
};
