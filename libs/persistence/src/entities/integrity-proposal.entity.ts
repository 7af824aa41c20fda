import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A proposal the integrity monitor's fold holds as open or executable (the domain's ProposalFact). */
@Entity({ name: 'integrity_proposals' })
export class IntegrityProposalEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @PrimaryColumn({ name: 'proposal_id', type: 'text' })
  proposalId!: string;

  @Column({ type: 'json' })
  fact!: unknown;
}
