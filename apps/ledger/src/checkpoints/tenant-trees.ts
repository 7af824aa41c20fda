import { Injectable } from '@nestjs/common';
import { type ChainHead, EMPTY_HEAD, eventLeafHash, headOf, MerkleAccumulator, verifyChain } from '@halm/domain';
import { LedgerStore } from '@halm/messaging';

/** A tenant's Merkle tree as one instance has folded it: the tree, the chain head and the stream sequence it reached. */
interface FoldedTree {
  tree: MerkleAccumulator;
  head: ChainHead;
  sequence: number;
}

export interface TreeHead {
  size: number;
  /** RFC 9162 root, lower-case hex. */
  rootHash: string;
}

/** The ledger refuses to sign a history that does not verify. */
export class BrokenChainError extends Error {
  constructor(tenantId: string, detail: string) {
    super(`the ledger of ${tenantId} does not verify: ${detail}`);
    this.name = 'BrokenChainError';
  }
}

/**
 * Each tenant's Merkle tree over its ledger events, kept in memory and brought up to date
 * from the ledger stream on demand: only the events stored since the last call are read and
 * hashed (the first call for a tenant reads its history once). Each event is checked against
 * the chain before it becomes a leaf, so a checkpoint never signs a broken chain.
 */
@Injectable()
export class TenantTrees {
  private readonly folded = new Map<string, FoldedTree>();
  private readonly pending = new Map<string, Promise<TreeHead>>();

  constructor(private readonly store: LedgerStore) {}

  /** The tenant's tree over every event stored when the call reads the stream. */
  current(tenantId: string): Promise<TreeHead> {
    // One fold at a time per tenant: two would append the same leaves twice.
    const run = (this.pending.get(tenantId) ?? Promise.resolve()).catch(() => undefined).then(() => this.advance(tenantId));
    this.pending.set(tenantId, run);
    void run.finally(() => {
      if (this.pending.get(tenantId) === run) this.pending.delete(tenantId);
    }).catch(() => undefined);
    return run;
  }

  private async advance(tenantId: string): Promise<TreeHead> {
    let folded = this.folded.get(tenantId);
    if (!folded) {
      folded = { tree: new MerkleAccumulator(), head: EMPTY_HEAD, sequence: 0 };
      this.folded.set(tenantId, folded);
    }
    for (const { event, sequence } of await this.store.readAfter(tenantId, folded.sequence)) {
      const [broken] = verifyChain([event], folded.head, tenantId);
      if (broken) throw new BrokenChainError(tenantId, `${broken.problem} at height ${broken.height} (${broken.eventId})`);
      folded.tree.append(eventLeafHash(event));
      folded.head = headOf(event);
      folded.sequence = sequence;
    }
    return { size: folded.tree.size, rootHash: folded.tree.root().toString('hex') };
  }
}
