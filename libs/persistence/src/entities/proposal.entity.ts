import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Decision, DecisionStatus, Proposal } from '@halm/contracts';
import type { ProposalHistoryEntry, ProposalLifecycle } from '@halm/domain';

/** A proposal as the projection of its tenant's ledger events shows it (`projectProposalRow`); indexes are in the migration. */
@Entity({ name: 'proposals' })
export class ProposalEntity {
  @PrimaryColumn({ name: 'proposal_id', type: 'text' })
  proposalId!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ name: 'agent_id', type: 'text', nullable: true })
  agentId!: string | null;

  @Column({ name: 'session_id', type: 'text', nullable: true })
  sessionId!: string | null;

  /** The decision's status. */
  @Column({ type: 'text' })
  status!: DecisionStatus;

  @Column({ type: 'text' })
  lifecycle!: ProposalLifecycle;

  @Column({ type: 'jsonb' })
  proposal!: Proposal;

  @Column({ type: 'jsonb' })
  decision!: Decision;

  @Column({ name: 'veto_deadline', type: 'timestamptz', nullable: true })
  vetoDeadline!: Date | null;

  @Column({ name: 'decided_at', type: 'timestamptz' })
  decidedAt!: Date;

  /** `recordedAt` of the last event applied. */
  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'last_height', type: 'integer' })
  lastHeight!: number;

  @Column({ type: 'jsonb' })
  history!: ProposalHistoryEntry[];
}
