import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TenantsAndApiKeys1763700000000 implements MigrationInterface {
  name = 'TenantsAndApiKeys1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenants (
        id text PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES tenants(id),
        key_hash text NOT NULL,
        roles text[] NOT NULL CHECK (roles <@ ARRAY['agent','approver','admin','auditor']::text[] AND cardinality(roles) > 0),
        label text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX api_keys_key_hash ON api_keys (key_hash)`);
    await queryRunner.query(`CREATE INDEX api_keys_tenant ON api_keys (tenant_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_keys`);
    await queryRunner.query(`DROP TABLE tenants`);
  }
}
