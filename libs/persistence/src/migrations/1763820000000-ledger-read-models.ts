import type { MigrationInterface, QueryRunner } from 'typeorm';

export class LedgerReadModels1763820000000 implements MigrationInterface {
  name = 'LedgerReadModels1763820000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Like `proposals`, no foreign keys: projections follow the ledger, whatever the directory holds.
    await queryRunner.query(`
      CREATE TABLE ledger_events (
        tenant_id text NOT NULL,
        height integer NOT NULL,
        event_id text NOT NULL,
        type text NOT NULL,
        hash text NOT NULL,
        prev_hash text NOT NULL,
        recorded_at timestamptz NOT NULL,
        leaf_hash text NOT NULL,
        event json NOT NULL,
        PRIMARY KEY (tenant_id, height)
      )`);
    await queryRunner.query(`
      CREATE TABLE decisions (
        tenant_id text NOT NULL,
        height integer NOT NULL,
        hash text NOT NULL,
        proposal_id text NOT NULL,
        action_type text NOT NULL,
        agent_id text,
        status text NOT NULL,
        allowed boolean NOT NULL,
        policy_version integer,
        policy_hash text,
        reasons text[] NOT NULL,
        matched_rules text[] NOT NULL,
        budget_level text,
        veto_deadline timestamptz,
        decided_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, height)
      )`);
    await queryRunner.query(`CREATE INDEX decisions_tenant_proposal ON decisions (tenant_id, proposal_id)`);
    await queryRunner.query(`CREATE INDEX decisions_tenant_policy ON decisions (tenant_id, policy_version)`);
    await queryRunner.query(`
      CREATE TABLE approvals (
        tenant_id text NOT NULL,
        height integer NOT NULL,
        hash text NOT NULL,
        proposal_id text NOT NULL,
        verdict text NOT NULL,
        actor_kind text,
        actor_id text,
        reason text,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, height)
      )`);
    await queryRunner.query(`CREATE INDEX approvals_tenant_proposal ON approvals (tenant_id, proposal_id)`);
    await queryRunner.query(`
      CREATE TABLE executions (
        tenant_id text NOT NULL,
        execution_id text NOT NULL,
        proposal_id text NOT NULL,
        idempotency_key text NOT NULL,
        action_type text NOT NULL,
        action_digest text,
        performer text NOT NULL,
        connector text,
        decision_hash text NOT NULL,
        executor_id text,
        token_id text,
        requested_by jsonb,
        status text NOT NULL,
        result jsonb,
        completed_by jsonb,
        started_height integer NOT NULL,
        started_hash text NOT NULL,
        started_at timestamptz NOT NULL,
        completed_height integer,
        completed_hash text,
        completed_at timestamptz,
        PRIMARY KEY (tenant_id, execution_id)
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX executions_tenant_idempotency_key ON executions (tenant_id, idempotency_key)`);
    await queryRunner.query(`CREATE INDEX executions_tenant_proposal ON executions (tenant_id, proposal_id)`);
    // Executors look for kernel executions left in doubt: only those still open.
    await queryRunner.query(`CREATE INDEX executions_open_kernel ON executions (started_at) WHERE status = 'STARTED' AND performer = 'kernel'`);
    await queryRunner.query(`
      CREATE TABLE checkpoints (
        tenant_id text NOT NULL,
        tree_size integer NOT NULL,
        key_id text NOT NULL,
        root_hash text NOT NULL,
        issued_at text NOT NULL,
        signature text NOT NULL,
        PRIMARY KEY (tenant_id, tree_size, key_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE checkpoints`);
    await queryRunner.query(`DROP TABLE executions`);
    await queryRunner.query(`DROP TABLE approvals`);
    await queryRunner.query(`DROP TABLE decisions`);
    await queryRunner.query(`DROP TABLE ledger_events`);
  }
}
