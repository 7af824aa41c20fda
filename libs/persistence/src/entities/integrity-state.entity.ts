import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Where the integrity monitor's checks of a tenant stand: the small state the next check carries on from. */
@Entity({ name: 'integrity_states' })
export class IntegrityStateEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  /** The domain's IntegrityState as JSON (json, not jsonb: ids from a forged event may hold \u0000). */
  @Column({ type: 'json' })
  state!: unknown;

  @Column({ type: 'integer' })
  height!: number;

  @Column({ name: 'events_examined', type: 'bigint' })
  eventsExamined!: string;

  @Column({ name: 'last_run_id', type: 'text' })
  lastRunId!: string;

  @Column({ name: 'checked_at', type: 'timestamptz' })
  checkedAt!: Date;
}
