import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A violation of an invariant in one tenant: opened once per finding (its violation key), with the evidence. */
@Entity({ name: 'incidents' })
export class IncidentEntity {
  @PrimaryColumn({ name: 'incident_id', type: 'text' })
  incidentId!: string;

  /** The finding's stable key: finding it again, on a later check or a check from the start, opens nothing. */
  @Column({ name: 'violation_key', type: 'text' })
  violationKey!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ type: 'text' })
  invariant!: string;

  /** HASH_CHAIN_FAILURE or INVARIANT_VIOLATION: the anomaly it is recorded as. */
  @Column({ type: 'text' })
  kind!: string;

  @Column({ type: 'text' })
  code!: string;

  @Column({ type: 'text' })
  status!: 'OPEN' | 'RESOLVED';

  @Column({ type: 'text' })
  summary!: string;

  @Column({ type: 'json' })
  evidence!: Record<string, unknown>;

  @Column({ name: 'opened_at', type: 'timestamptz' })
  openedAt!: Date;

  @Column({ name: 'run_id', type: 'text' })
  runId!: string;

  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  resolution!: string | null;

  /** When its anomaly (and, in strict mode, its lockdown) was asked for; null until then, and retried by the next run. */
  @Column({ name: 'reported_at', type: 'timestamptz', nullable: true })
  reportedAt!: Date | null;

  @Column({ name: 'anomaly_height', type: 'integer', nullable: true })
  anomalyHeight!: number | null;

  @Column({ name: 'lockdown_id', type: 'text', nullable: true })
  lockdownId!: string | null;
}
