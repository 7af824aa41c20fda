import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { BudgetLevel, DecisionStatus } from '@halm/contracts';

/** One row per `DecisionRecorded`: what was decided, on which policy, and why. */
@Entity({ name: 'decisions' })
export class DecisionEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  /** The height of the `DecisionRecorded` event. */
  @PrimaryColumn({ type: 'integer' })
  height!: number;

  @Column({ type: 'text' })
  hash!: string;

  @Column({ name: 'proposal_id', type: 'text' })
  proposalId!: string;

  @Column({ name: 'action_type', type: 'text' })
  actionType!: string;

  @Column({ name: 'agent_id', type: 'text', nullable: true })
  agentId!: string | null;

  @Column({ type: 'text' })
  status!: DecisionStatus;

  @Column({ type: 'boolean' })
  allowed!: boolean;

  @Column({ name: 'policy_version', type: 'integer', nullable: true })
  policyVersion!: number | null;

  @Column({ name: 'policy_hash', type: 'text', nullable: true })
  policyHash!: string | null;

  @Column({ type: 'text', array: true })
  reasons!: string[];

  @Column({ name: 'matched_rules', type: 'text', array: true })
  matchedRules!: string[];

  @Column({ name: 'budget_level', type: 'text', nullable: true })
  budgetLevel!: BudgetLevel | null;

  @Column({ name: 'veto_deadline', type: 'timestamptz', nullable: true })
  vetoDeadline!: Date | null;

  @Column({ name: 'decided_at', type: 'timestamptz' })
  decidedAt!: Date;

  @Column({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt!: Date;
}
