import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Actor, ExecutionPerformer } from '@halm/contracts';
import type { ExecutionStatus } from '../ledger-rows';

/** An execution: its `ExecutionStarted` and, once it ended, its `ExecutionCompleted`. */
@Entity({ name: 'executions' })
export class ExecutionEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @PrimaryColumn({ name: 'execution_id', type: 'text' })
  executionId!: string;

  @Column({ name: 'proposal_id', type: 'text' })
  proposalId!: string;

  /** Unique within the tenant (index in the migration). */
  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  @Column({ name: 'action_type', type: 'text' })
  actionType!: string;

  @Column({ name: 'action_digest', type: 'text', nullable: true })
  actionDigest!: string | null;

  @Column({ type: 'text' })
  performer!: ExecutionPerformer;

  @Column({ type: 'text', nullable: true })
  connector!: string | null;

  @Column({ name: 'decision_hash', type: 'text' })
  decisionHash!: string;

  @Column({ name: 'executor_id', type: 'text', nullable: true })
  executorId!: string | null;

  @Column({ name: 'token_id', type: 'text', nullable: true })
  tokenId!: string | null;

  @Column({ name: 'requested_by', type: 'jsonb', nullable: true })
  requestedBy!: Actor | null;

  /** `STARTED`, then the outcome: `SUCCEEDED`, `FAILED` or `IN_DOUBT`. */
  @Column({ type: 'text' })
  status!: ExecutionStatus;

  @Column({ type: 'jsonb', nullable: true })
  result!: Record<string, unknown> | null;

  @Column({ name: 'completed_by', type: 'jsonb', nullable: true })
  completedBy!: Actor | null;

  @Column({ name: 'started_height', type: 'integer' })
  startedHeight!: number;

  @Column({ name: 'started_hash', type: 'text' })
  startedHash!: string;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'completed_height', type: 'integer', nullable: true })
  completedHeight!: number | null;

  @Column({ name: 'completed_hash', type: 'text', nullable: true })
  completedHash!: string | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;
}
