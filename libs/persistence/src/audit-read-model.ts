import type { DataSource } from 'typeorm';
import type { LedgerEvent } from '@halm/contracts';
import type { SignedCheckpoint } from '@halm/domain';
import { CheckpointEntity } from './entities/checkpoint.entity';
import { LedgerEventEntity } from './entities/ledger-event.entity';
import { LedgerProjectionHeadEntity } from './entities/ledger-projection-head.entity';

/** A ledger event as the projection holds it, with its RFC 9162 leaf hash (hex). */
export interface ProjectedEvent {
  event: LedgerEvent;
  leafHash: string;
}

/** Reads `ledger_events`, always within one tenant: the events and the leaf hashes proofs are built from. */
export class LedgerEventReadModel {
  constructor(private readonly dataSource: DataSource) {}

  /** How many of the tenant's events are projected (its events are heights 1 to this); 0 before the first. */
  async projectedHeight(tenantId: string): Promise<number> {
    const head = await this.dataSource.getRepository(LedgerProjectionHeadEntity).findOneBy({ tenantId });
    return head?.height ?? 0;
  }

  /** The events from `fromHeight` to `toHeight`, both included, in order. */
  async range(tenantId: string, fromHeight: number, toHeight: number): Promise<ProjectedEvent[]> {
    const entities = await this.dataSource
      .getRepository(LedgerEventEntity)
      .createQueryBuilder('e')
      .select(['e.event', 'e.leafHash'])
      .where('e.tenantId = :tenantId', { tenantId })
      .andWhere('e.height BETWEEN :fromHeight AND :toHeight', { fromHeight, toHeight })
      .orderBy('e.height', 'ASC')
      .getMany();
    return entities.map((entity) => ({ event: entity.event, leafHash: entity.leafHash }));
  }

  async at(tenantId: string, height: number): Promise<ProjectedEvent | undefined> {
    return (await this.range(tenantId, height, height))[0];
  }

  /** The leaf hashes of the tenant's first `treeSize` events, leaf 0 first; throws when fewer are projected. */
  async leafHashes(tenantId: string, treeSize: number): Promise<Buffer[]> {
    const rows: { leaf_hash: string }[] = await this.dataSource.query(
      'SELECT leaf_hash FROM ledger_events WHERE tenant_id = $1 AND height <= $2 ORDER BY height',
      [tenantId, treeSize],
    );
    if (rows.length !== treeSize) throw new Error(`tenant ${tenantId} has ${rows.length} events projected, not the ${treeSize} of the tree`);
    return rows.map((row) => Buffer.from(row.leaf_hash, 'hex'));
  }
}

/** Where a page of checkpoints starts: strictly before this tree size (and, at that size, this key id). */
export interface CheckpointCursor {
  treeSize: number;
  keyId?: string;
}

const checkpointOf = (entity: CheckpointEntity): SignedCheckpoint => ({
  tenantId: entity.tenantId,
  treeSize: entity.treeSize,
  rootHash: entity.rootHash,
  issuedAt: entity.issuedAt,
  keyId: entity.keyId,
  signature: entity.signature,
});

/** Reads `checkpoints`, always within one tenant; largest tree first, then the latest issued. */
export class CheckpointReadModel {
  constructor(private readonly dataSource: DataSource) {}

  private query(tenantId: string) {
    return this.dataSource
      .getRepository(CheckpointEntity)
      .createQueryBuilder('c')
      .where('c.tenantId = :tenantId', { tenantId })
      .orderBy('c.treeSize', 'DESC')
      .addOrderBy('c.issuedAt', 'DESC')
      .addOrderBy('c.keyId', 'DESC');
  }

  /** The checkpoint of the largest tree, of at most `maxTreeSize` events when given. */
  async latest(tenantId: string, maxTreeSize?: number): Promise<SignedCheckpoint | undefined> {
    const builder = this.query(tenantId);
    if (maxTreeSize !== undefined) builder.andWhere('c.treeSize <= :maxTreeSize', { maxTreeSize });
    const entity = await builder.getOne();
    return entity ? checkpointOf(entity) : undefined;
  }

  /** The latest checkpoint of a tree of exactly `treeSize` events. */
  async ofSize(tenantId: string, treeSize: number): Promise<SignedCheckpoint | undefined> {
    const entity = await this.query(tenantId).andWhere('c.treeSize = :treeSize', { treeSize }).getOne();
    return entity ? checkpointOf(entity) : undefined;
  }

  /** Largest tree first; each tree size's checkpoints by key id, so a cursor never skips one. */
  async list(tenantId: string, limit: number, before?: CheckpointCursor): Promise<SignedCheckpoint[]> {
    const builder = this.dataSource
      .getRepository(CheckpointEntity)
      .createQueryBuilder('c')
      .where('c.tenantId = :tenantId', { tenantId })
      .orderBy('c.treeSize', 'DESC')
      .addOrderBy('c.keyId', 'DESC');
    if (before?.keyId !== undefined) builder.andWhere('(c.treeSize, c.keyId) < (:treeSize, :keyId)', before);
    else if (before) builder.andWhere('c.treeSize < :treeSize', { treeSize: before.treeSize });
    return (await builder.limit(limit).getMany()).map(checkpointOf);
  }
}
