import { Inject, Injectable } from '@nestjs/common';
import { TENANT_ID_PATTERN } from '@halm/contracts';
import { signCheckpoint, type SignedCheckpoint } from '@halm/domain';
import { CheckpointRaceError, CheckpointStore } from '@halm/messaging';
import { LOGGER } from '@halm/platform';
import type { Logger } from 'pino';
import { CheckpointKeys } from './checkpoint-keys';
import { TenantTrees } from './tenant-trees';

// Two instances signing the same tenant at once: the loser re-reads and, as a rule, finds the
// winner's checkpoint covers the tree. More rounds than this means something else is wrong.
const MAX_ROUNDS = 5;

/**
 * Signs checkpoints of tenants' trees and publishes them on the checkpoint stream, from any
 * number of ledger instances at once. Each tenant's checkpoints are stored in the order of
 * the trees they sign: a checkpoint is published only if the tenant's latest is still the one
 * the signer read (else it reads again), never for a smaller tree, and its `issuedAt` is never
 * earlier than the latest's, whatever the instances' clocks say. Signing a tree the latest
 * checkpoint already signs is skipped; the message id drops what still slips through.
 */
@Injectable()
export class CheckpointPublisher {
  // The largest tree size known to be signed, per tenant: lets the schedule skip tenants that did not grow without a read.
  private readonly signedSizes = new Map<string, number>();

  constructor(
    private readonly trees: TenantTrees,
    private readonly checkpoints: CheckpointStore,
    private readonly keys: CheckpointKeys,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * A signed checkpoint of the tenant's whole tree as it stands now: the latest one published
   * when it already signs this tree with one of the ledger's keys, else a new one, published
   * before it is answered. Null when the tenant has no events.
   */
  async checkpointNow(tenantId: string, now: Date): Promise<SignedCheckpoint | null> {
    return (await this.sign(tenantId, now))?.checkpoint ?? null;
  }

  /** Signs and publishes a checkpoint for every tenant whose ledger grew since its latest checkpoint; answers how many were published. */
  async publishDue(now: Date): Promise<number> {
    let published = 0;
    for (const [tenantId, size] of await this.checkpoints.ledgerSizes()) {
      if (!TENANT_ID_PATTERN.test(tenantId)) continue;
      try {
        if (size <= (await this.signedSize(tenantId))) continue;
        if ((await this.sign(tenantId, now))?.published) published += 1;
      } catch (error) {
        this.logger.error({ err: error, tenantId }, 'could not publish a checkpoint; retrying on the next pass');
      }
    }
    if (published > 0) this.logger.info({ published }, 'checkpoints published');
    return published;
  }

  private async signedSize(tenantId: string): Promise<number> {
    const known = this.signedSizes.get(tenantId);
    if (known !== undefined) return known;
    const size = (await this.checkpoints.latest(tenantId))?.checkpoint.treeSize ?? 0;
    this.remember(tenantId, size);
    return size;
  }

  private remember(tenantId: string, size: number): void {
    this.signedSizes.set(tenantId, Math.max(size, this.signedSizes.get(tenantId) ?? 0));
  }

  private async sign(tenantId: string, now: Date): Promise<{ checkpoint: SignedCheckpoint; published: boolean } | null> {
    for (let round = 1; round <= MAX_ROUNDS; round += 1) {
      // The latest checkpoint is read before the events: whatever tree it signs, the fold then holds at least that much.
      const latest = await this.checkpoints.latest(tenantId);
      const tree = await this.trees.current(tenantId);
      if (tree.size === 0) return null;
      const previous = latest?.checkpoint;
      if (previous && previous.treeSize > tree.size) continue;
      if (previous && previous.treeSize === tree.size && this.keys.knows(previous.keyId)) {
        if (previous.rootHash !== tree.rootHash) {
          throw new Error(`the latest checkpoint of ${tenantId} signs ${tree.size} events with root ${previous.rootHash}, but they have root ${tree.rootHash}`);
        }
        this.remember(tenantId, tree.size);
        return { checkpoint: previous, published: false };
      }
      const issuedAt = previous && Date.parse(previous.issuedAt) > now.getTime() ? previous.issuedAt : now.toISOString();
      const checkpoint = signCheckpoint({ tenantId, treeSize: tree.size, rootHash: tree.rootHash, issuedAt }, this.keys.signingKey, this.keys.keyId);
      try {
        const { duplicate } = await this.checkpoints.publish(checkpoint, latest?.sequence ?? 0);
        this.remember(tenantId, tree.size);
        // Another instance published this very tree with this key first: its copy is the one stored.
        if (duplicate) return { checkpoint: (await this.checkpoints.latest(tenantId))?.checkpoint ?? checkpoint, published: false };
        return { checkpoint, published: true };
      } catch (error) {
        if (!(error instanceof CheckpointRaceError)) throw error;
      }
    }
    throw new Error(`the checkpoints of ${tenantId} kept moving while signing; try again`);
  }
}
