import { createTestDatabase } from '@halm/testing';
import { TenantDirectory } from './api-keys';
import { createDataSource, migrate } from './data-source';

describe('TenantDirectory on a fresh PostgreSQL database', () => {
  it('authenticates an issued key and stores only its hash', async () => {
    await using database = await createTestDatabase(migrate);
    const dataSource = await createDataSource(database.url, 2).initialize();
    try {
      const directory = new TenantDirectory(dataSource);
      const tenant = await directory.createTenant('acme');
      const key = await directory.issueKey(tenant.id, ['agent', 'approver']);

      expect(await directory.authenticate(key.secret)).toEqual({ keyId: key.id, tenantId: tenant.id, roles: ['agent', 'approver'] });
      const rows: { key_hash: string }[] = await dataSource.query('select key_hash from api_keys');
      expect(rows).toHaveLength(1);
      expect(rows[0]?.key_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows)).not.toContain(key.secret);
    } finally {
      await dataSource.destroy();
    }
  });

  it('rejects unknown and revoked keys', async () => {
    await using database = await createTestDatabase(migrate);
    const dataSource = await createDataSource(database.url, 2).initialize();
    try {
      const directory = new TenantDirectory(dataSource);
      const tenant = await directory.createTenant('acme');
      const key = await directory.issueKey(tenant.id, ['agent']);

      expect(await directory.authenticate('halm_not-a-key')).toBeNull();
      expect(await directory.revokeKey('some-other-tenant', key.id)).toBeNull();
      expect(await directory.revokeKey(tenant.id, key.id)).toEqual({ keyHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(await directory.authenticate(key.secret)).toBeNull();
    } finally {
      await dataSource.destroy();
    }
  });

  it('refuses a key with a role that does not exist', async () => {
    await using database = await createTestDatabase(migrate);
    const dataSource = await createDataSource(database.url, 2).initialize();
    try {
      const directory = new TenantDirectory(dataSource);
      const tenant = await directory.createTenant('acme');
      await expect(directory.issueKey(tenant.id, ['superuser' as never])).rejects.toThrow(/check constraint/);
    } finally {
      await dataSource.destroy();
    }
  });
});
