import type { DataSource } from 'typeorm';
import { ExecutionEntity } from './entities/execution.entity';
import type { ExecutionRow } from './ledger-rows';

const isoOf = (value: Date): string => value.toISOString();

export const executionRowOfEntity = (entity: ExecutionEntity): ExecutionRow => ({
  tenantId: entity.tenantId,
  executionId: entity.executionId,
  proposalId: entity.proposalId,
  idempotencyKey: entity.idempotencyKey,
  actionType: entity.actionType,
  actionDigest: entity.actionDigest,
  performer: entity.performer,
  connector: entity.connector,
  decisionHash: entity.decisionHash,
  executorId: entity.executorId,
  tokenId: entity.tokenId,
  requestedBy: entity.requestedBy,
  status: entity.status,
  result: entity.result,
  completedBy: entity.completedBy,
  started: { height: entity.startedHeight, hash: entity.startedHash, recordedAt: isoOf(entity.startedAt) },
  completed:
    entity.completedHeight !== null && entity.completedHash !== null && entity.completedAt !== null
      ? { height: entity.completedHeight, hash: entity.completedHash, recordedAt: isoOf(entity.completedAt) }
      : null,
});

/**
 * Reads the `executions` projection. Like every projection it trails the ledger by a moment:
 * a decision that must not act twice asks the ledger itself; this serves lists, lookups and
 * the search for executions left in doubt.
 */
export class ExecutionReadModel {
  constructor(private readonly dataSource: DataSource) {}

  async find(tenantId: string, executionId: string): Promise<ExecutionRow | undefined> {
    const entity = await this.dataSource.getRepository(ExecutionEntity).findOneBy({ tenantId, executionId });
    return entity ? executionRowOfEntity(entity) : undefined;
  }

  async byIdempotencyKey(tenantId: string, idempotencyKey: string): Promise<ExecutionRow | undefined> {
    const entity = await this.dataSource.getRepository(ExecutionEntity).findOneBy({ tenantId, idempotencyKey });
    return entity ? executionRowOfEntity(entity) : undefined;
  }

  /**
   * Executions a kernel connector started and nobody has ended yet, across all tenants, oldest
   * start first (with `executorId` and `started.recordedAt`): candidates for an executor to
   * resolve when the instance that started them is gone.
   */
  async openKernelExecutions(limit: number): Promise<ExecutionRow[]> {
    const entities = await this.dataSource
      .getRepository(ExecutionEntity)
      .createQueryBuilder('x')
      .where("x.status = 'STARTED'")
      .andWhere("x.performer = 'kernel'")
      .orderBy('x.startedAt', 'ASC')
      .addOrderBy('x.tenantId', 'ASC')
      .addOrderBy('x.startedHeight', 'ASC')
      .limit(limit)
      .getMany();
    return entities.map(executionRowOfEntity);
  }
}
