import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Actor } from '@halm/contracts';

/** One run of an integrity monitor: scheduled or asked for, over one tenant or all. */
@Entity({ name: 'integrity_runs' })
export class IntegrityRunEntity {
  @PrimaryColumn({ name: 'run_id', type: 'text' })
  runId!: string;

  /** The monitor instance that ran it. */
  @Column({ name: 'monitor_id', type: 'text' })
  monitorId!: string;

  @Column({ type: 'text' })
  trigger!: 'schedule' | 'request';

  @Column({ name: 'requested_by', type: 'jsonb', nullable: true })
  requestedBy!: Actor | null;

  /** The one tenant asked for; null for a run over every tenant. */
  @Column({ name: 'tenant_id', type: 'text', nullable: true })
  tenantId!: string | null;

  @Column({ name: 'full_check', type: 'boolean' })
  full!: boolean;

  /** The monitor's INTEGRITY_CHECK_INTERVAL_MS: how soon the next run is due, which tells whether checks still run. */
  @Column({ name: 'interval_ms', type: 'integer' })
  intervalMs!: number;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs!: number | null;

  @Column({ name: 'tenants_checked', type: 'integer' })
  tenantsChecked!: number;

  @Column({ name: 'events_examined', type: 'bigint' })
  eventsExamined!: string;

  /** Its IntegrityCheckRecorded event in the kernel's chain, once recorded. */
  @Column({ name: 'ledger_height', type: 'integer', nullable: true })
  ledgerHeight!: number | null;

  @Column({ name: 'ledger_hash', type: 'text', nullable: true })
  ledgerHash!: string | null;
}
