import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IntegrityProposals1763960000000 implements MigrationInterface {
  name = 'IntegrityProposals1763960000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The integrity monitor's own fold of which proposals are open or executable (not the proposals
    // projection: the monitor judges the stream with nothing derived from it by another service).
    await queryRunner.query(`
      CREATE TABLE integrity_proposals (
        tenant_id text NOT NULL,
        proposal_id text NOT NULL,
        fact json NOT NULL,
        PRIMARY KEY (tenant_id, proposal_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE integrity_proposals');
  }
}
