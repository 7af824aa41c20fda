import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ProposalProjection1763800000000 implements MigrationInterface {
  name = 'ProposalProjection1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // No foreign key to tenants: a projection follows the ledger, whatever the directory holds.
    await queryRunner.query(`
      CREATE TABLE proposals (
        proposal_id text PRIMARY KEY,
        tenant_id text NOT NULL,
        type text NOT NULL,
        agent_id text,
        session_id text,
        status text NOT NULL,
        lifecycle text NOT NULL,
        proposal jsonb NOT NULL,
        decision jsonb NOT NULL,
        veto_deadline timestamptz,
        decided_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        last_height integer NOT NULL,
        history jsonb NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX proposals_tenant_lifecycle_decided ON proposals (tenant_id, lifecycle, decided_at DESC)`);
    // The veto-window timer looks only at proposals still held.
    await queryRunner.query(`CREATE INDEX proposals_held_veto_deadline ON proposals (veto_deadline) WHERE lifecycle = 'HELD_FOR_VETO'`);
    await queryRunner.query(`
      CREATE TABLE ledger_projection_heads (
        tenant_id text PRIMARY KEY,
        height integer NOT NULL,
        hash text NOT NULL
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ledger_projection_heads`);
    await queryRunner.query(`DROP TABLE proposals`);
  }
}
