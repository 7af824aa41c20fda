import { createHash } from 'node:crypto';
import type { LedgerEvent } from '@halm/contracts';
import { canonicalize } from './canonical-json';

/**
 * The Merkle tree over a tenant's ledger, hashed as RFC 9162 (Certificate Transparency v2)
 * section 2.1 says, so any CT tooling or independent implementation computes the same roots
 * and proofs. Hashes are 32-byte SHA-256 digests; the functions here produce them and
 * `merkle-verify.ts` checks them without sharing this code.
 */
export const MERKLE_HASH_LENGTH = 32;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** RFC 9162: the hash of a leaf is SHA-256(0x00 || leaf bytes). */
export const leafHash = (leaf: Uint8Array): Buffer => createHash('sha256').update(LEAF_PREFIX).update(leaf).digest();

/** `leafHash` of the UTF-8 of `text`, without copying the text into a buffer first. */
export const leafHashOfText = (text: string): Buffer => createHash('sha256').update(LEAF_PREFIX).update(text, 'utf8').digest();

/** RFC 9162: the hash of an interior node is SHA-256(0x01 || left || right). */
export const nodeHash = (left: Uint8Array, right: Uint8Array): Buffer => createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();

// The MTH of the empty tree: SHA-256 of the empty string.
const emptyTreeHash = (): Buffer => createHash('sha256').digest();

/**
 * The leaf bytes of a ledger event: the UTF-8 of the RFC 8785 form of the event as stored,
 * `hash` included. The leaf thus commits to the stored event itself, chain link and all, and a
 * verifier needs nothing but the event to recompute it; the 0x00 prefix keeps the leaf hash
 * distinct from the event's own `hash`. Only the fields of a ledger event are taken, so a
 * field an adapter adds in memory (a stream sequence, say) never changes the tree.
 */
export const eventLeaf = (event: LedgerEvent): Buffer => {
  const { tenantId, height, prevHash, eventId, type, recordedAt, data, hash } = event;
  return Buffer.from(canonicalize({ tenantId, height, prevHash, eventId, type, recordedAt, data, hash }), 'utf8');
};

/** The leaf hash of the event at height h, which is leaf h - 1 of its tenant's tree. */
export const eventLeafHash = (event: LedgerEvent): Buffer => leafHash(eventLeaf(event));

const assertHash = (value: Uint8Array, what: string): void => {
  if (!(value instanceof Uint8Array) || value.length !== MERKLE_HASH_LENGTH) throw new TypeError(`${what} is not a ${MERKLE_HASH_LENGTH}-byte hash`);
};

const assertSize = (value: number, what: string): void => {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer, not ${value}`);
};

// RFC 9162's k for n > 1: the largest power of two smaller than n. Arithmetic, not bit
// shifts, so sizes beyond 2^31 split right too.
const splitPoint = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

// MTH(D[start:end]) straight from the definition; every node is hashed once, so O(end - start).
const subtreeHash = (leafHashes: readonly Uint8Array[], start: number, end: number): Buffer => {
  const size = end - start;
  if (size === 0) return emptyTreeHash();
  if (size === 1) return Buffer.from(leafHashes[start] as Uint8Array);
  const k = splitPoint(size);
  return nodeHash(subtreeHash(leafHashes, start, start + k), subtreeHash(leafHashes, start + k, end));
};

const checkedLeaves = (leafHashes: readonly Uint8Array[], treeSize: number): void => {
  assertSize(treeSize, 'the tree size');
  if (treeSize > leafHashes.length) throw new RangeError(`a tree of ${treeSize} leaves needs ${treeSize} leaf hashes, got ${leafHashes.length}`);
  for (let index = 0; index < treeSize; index += 1) assertHash(leafHashes[index] as Uint8Array, `leaf hash ${index}`);
};

/** MTH (RFC 9162 section 2.1.1) of the tree whose leaves have these hashes, in order. */
export const merkleRoot = (leafHashes: readonly Uint8Array[]): Buffer => {
  checkedLeaves(leafHashes, leafHashes.length);
  return subtreeHash(leafHashes, 0, leafHashes.length);
};

// PATH(m, D[start:end]) of RFC 9162 section 2.1.3.1, index absolute: the deepest sibling first.
const path = (leafHashes: readonly Uint8Array[], index: number, start: number, end: number, proof: Buffer[]): void => {
  if (end - start <= 1) return;
  const middle = start + splitPoint(end - start);
  if (index < middle) {
    path(leafHashes, index, start, middle, proof);
    proof.push(subtreeHash(leafHashes, middle, end));
  } else {
    path(leafHashes, index, middle, end, proof);
    proof.push(subtreeHash(leafHashes, start, middle));
  }
};

/**
 * The audit path (RFC 9162 section 2.1.3.1) of leaf `index` in the tree of the first
 * `treeSize` leaf hashes: the sibling hashes from the leaf up to the root.
 */
export const inclusionProof = (leafHashes: readonly Uint8Array[], index: number, treeSize: number): Buffer[] => {
  checkedLeaves(leafHashes, treeSize);
  assertSize(index, 'the leaf index');
  if (index >= treeSize) throw new RangeError(`leaf ${index} is not in a tree of ${treeSize} leaves`);
  const proof: Buffer[] = [];
  path(leafHashes, index, 0, treeSize, proof);
  return proof;
};

// SUBPROOF(m, D[start:end], b) of RFC 9162 section 2.1.4.1; `whole` is b: whether D[start:start+m] is the old tree itself.
const subproof = (leafHashes: readonly Uint8Array[], m: number, start: number, end: number, whole: boolean, proof: Buffer[]): void => {
  const size = end - start;
  if (m === size) {
    if (!whole) proof.push(subtreeHash(leafHashes, start, end));
    return;
  }
  const k = splitPoint(size);
  if (m <= k) {
    subproof(leafHashes, m, start, start + k, whole, proof);
    proof.push(subtreeHash(leafHashes, start + k, end));
  } else {
    subproof(leafHashes, m - k, start + k, end, false, proof);
    proof.push(subtreeHash(leafHashes, start, start + k));
  }
};

/**
 * The consistency proof (RFC 9162 section 2.1.4.1) that the tree of the first `oldSize` leaf
 * hashes is a prefix of the tree of the first `newSize`. The RFC defines it for
 * 0 < oldSize < newSize; for oldSize 0 or oldSize = newSize it is empty (there is nothing to
 * prove beyond comparing the roots).
 */
export const consistencyProof = (leafHashes: readonly Uint8Array[], oldSize: number, newSize: number): Buffer[] => {
  checkedLeaves(leafHashes, newSize);
  assertSize(oldSize, 'the old tree size');
  if (oldSize > newSize) throw new RangeError(`a tree of ${oldSize} leaves cannot be a prefix of one of ${newSize}`);
  const proof: Buffer[] = [];
  if (oldSize > 0 && oldSize < newSize) subproof(leafHashes, oldSize, 0, newSize, true, proof);
  return proof;
};

/**
 * A tenant's tree kept as events arrive, without the history: only the right edge (the roots
 * of the perfect subtrees the leaves so far fall into, one per set bit of the size, largest
 * first) is held, so an append hashes O(1) amortized and O(log n) at worst, and the root is
 * O(log n) away at any size. `size` and `frontier` can be stored and handed to `restore` to
 * carry on where an instance stopped.
 */
export class MerkleAccumulator {
  private readonly edge: Buffer[] = [];
  private count = 0;

  /** Carries on from a stored size and frontier (as `size` and `frontier` gave them). */
  static restore(size: number, frontier: readonly Uint8Array[]): MerkleAccumulator {
    assertSize(size, 'the tree size');
    let expected = 0;
    for (let rest = size; rest > 0; rest = Math.floor(rest / 2)) expected += rest % 2;
    if (frontier.length !== expected) throw new RangeError(`a tree of ${size} leaves has a frontier of ${expected} hashes, got ${frontier.length}`);
    frontier.forEach((hash, index) => assertHash(hash, `frontier hash ${index}`));
    const accumulator = new MerkleAccumulator();
    accumulator.edge.push(...frontier.map((hash) => Buffer.from(hash)));
    accumulator.count = size;
    return accumulator;
  }

  /** How many leaves have been appended. */
  get size(): number {
    return this.count;
  }

  /** The roots of the perfect subtrees on the right edge, largest (leftmost) first; copies. */
  get frontier(): Buffer[] {
    return this.edge.map((hash) => Buffer.from(hash));
  }

  /** Appends the next leaf's hash and answers the new size. */
  append(leafHashValue: Uint8Array): number {
    assertHash(leafHashValue, 'the leaf hash');
    let node: Buffer = Buffer.from(leafHashValue);
    // Each trailing 1 bit of the old size is a perfect subtree of the new leaf's size: merge them, like a binary carry.
    for (let size = this.count; size % 2 === 1; size = (size - 1) / 2) node = nodeHash(this.edge.pop() as Buffer, node);
    this.edge.push(node);
    this.count += 1;
    return this.count;
  }

  /** MTH of the leaves appended so far. */
  root(): Buffer {
    if (this.edge.length === 0) return emptyTreeHash();
    // RFC 9162 splits at the largest power of two, which is the leftmost perfect subtree: a right fold.
    let root = this.edge[this.edge.length - 1] as Buffer;
    for (let index = this.edge.length - 2; index >= 0; index -= 1) root = nodeHash(this.edge[index] as Buffer, root);
    return Buffer.from(root);
  }
}
