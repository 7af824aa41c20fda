import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IntegrityRunsAndIncidents1763950000000 implements MigrationInterface {
  name = 'IntegrityRunsAndIncidents1763950000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE integrity_runs (
        run_id text PRIMARY KEY,
        monitor_id text NOT NULL,
        trigger text NOT NULL,
        requested_by jsonb,
        tenant_id text,
        full_check boolean NOT NULL,
        interval_ms integer NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        duration_ms integer,
        tenants_checked integer NOT NULL DEFAULT 0,
        events_examined bigint NOT NULL DEFAULT 0,
        ledger_height integer,
        ledger_hash text
      )`);
    await queryRunner.query(`CREATE INDEX integrity_runs_finished ON integrity_runs (finished_at DESC) WHERE finished_at IS NOT NULL`);
    await queryRunner.query(`
      CREATE TABLE integrity_results (
        run_id text NOT NULL,
        tenant_id text NOT NULL,
        invariant text NOT NULL,
        passing boolean NOT NULL,
        events_examined integer NOT NULL,
        violations integer NOT NULL,
        duration_ms integer NOT NULL,
        checked_at timestamptz NOT NULL,
        PRIMARY KEY (run_id, tenant_id, invariant)
      )`);
    await queryRunner.query(`CREATE INDEX integrity_results_tenant ON integrity_results (tenant_id, checked_at DESC)`);
    // json, not jsonb: ids from a forged event may hold \u0000, which jsonb cannot store.
    await queryRunner.query(`
      CREATE TABLE integrity_states (
        tenant_id text PRIMARY KEY,
        state json NOT NULL,
        height integer NOT NULL,
        events_examined bigint NOT NULL,
        last_run_id text NOT NULL,
        checked_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE incidents (
        incident_id text PRIMARY KEY,
        violation_key text NOT NULL UNIQUE,
        tenant_id text NOT NULL,
        invariant text NOT NULL,
        kind text NOT NULL,
        code text NOT NULL,
        status text NOT NULL DEFAULT 'OPEN',
        summary text NOT NULL,
        evidence json NOT NULL,
        opened_at timestamptz NOT NULL,
        run_id text NOT NULL,
        resolved_at timestamptz,
        resolution text,
        reported_at timestamptz,
        anomaly_height integer,
        lockdown_id text
      )`);
    await queryRunner.query(`CREATE INDEX incidents_tenant ON incidents (tenant_id, opened_at DESC, incident_id DESC)`);
    await queryRunner.query(`CREATE INDEX incidents_open ON incidents (invariant, kind) WHERE status = 'OPEN'`);
    await queryRunner.query(`CREATE INDEX incidents_unreported ON incidents (tenant_id) WHERE reported_at IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE incidents');
    await queryRunner.query('DROP TABLE integrity_states');
    await queryRunner.query('DROP TABLE integrity_results');
    await queryRunner.query('DROP TABLE integrity_runs');
  }
}
