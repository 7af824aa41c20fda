import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Verdict } from '../ledger-rows';

/** One row per verdict on a proposal: approved, rejected, vetoed, or its veto window elapsed unvetoed. */
@Entity({ name: 'approvals' })
export class ApprovalEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @PrimaryColumn({ type: 'integer' })
  height!: number;

  @Column({ type: 'text' })
  hash!: string;

  @Column({ name: 'proposal_id', type: 'text' })
  proposalId!: string;

  @Column({ type: 'text' })
  verdict!: Verdict;

  /** `key` or `kernel`; null for an elapsed veto window. */
  @Column({ name: 'actor_kind', type: 'text', nullable: true })
  actorKind!: 'key' | 'kernel' | null;

  @Column({ name: 'actor_id', type: 'text', nullable: true })
  actorId!: string | null;

  @Column({ type: 'text', nullable: true })
  reason!: string | null;

  @Column({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt!: Date;
}
