import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The last ledger event of a tenant the projections have applied: their checkpoint, written in the same transaction as the rows. */
@Entity({ name: 'ledger_projection_heads' })
export class LedgerProjectionHeadEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ type: 'integer' })
  height!: number;

  @Column({ type: 'text' })
  hash!: string;
}
