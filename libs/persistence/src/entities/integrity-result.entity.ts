import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How one invariant fared in one tenant during one run. */
@Entity({ name: 'integrity_results' })
export class IntegrityResultEntity {
  @PrimaryColumn({ name: 'run_id', type: 'text' })
  runId!: string;

  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @PrimaryColumn({ type: 'text' })
  invariant!: string;

  @Column({ type: 'boolean' })
  passing!: boolean;

  @Column({ name: 'events_examined', type: 'integer' })
  eventsExamined!: number;

  @Column({ type: 'integer' })
  violations!: number;

  @Column({ name: 'duration_ms', type: 'integer' })
  durationMs!: number;

  @Column({ name: 'checked_at', type: 'timestamptz' })
  checkedAt!: Date;
}
