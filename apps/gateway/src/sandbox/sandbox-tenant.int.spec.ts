import { createDataSource, migrate, TenantDirectory } from '@halm/persistence';
import { createTestDatabase } from '@halm/testing';
import { SANDBOX_TENANT_ID } from './sandbox-tenant';

describe('the sandbox tenant in PostgreSQL', () => {
  it('is created once when several gateway instances ensure it at the same moment', async () => {
    await using database = await createTestDatabase(migrate);
    const instances = await Promise.all([1, 2, 3].map(() => createDataSource(database.url, 2).initialize()));
    try {
      const directories = instances.map((dataSource) => new TenantDirectory(dataSource));

      const tenants = await Promise.all(Array.from({ length: 12 }, (_, index) => directories[index % 3]!.ensureTenant(SANDBOX_TENANT_ID, 'Sandbox (public playground)')));

      expect(new Set(tenants.map((tenant) => tenant.id))).toEqual(new Set([SANDBOX_TENANT_ID]));
      expect(await instances[0]!.query('select id, name from tenants')).toEqual([{ id: 'sandbox', name: 'Sandbox (public playground)' }]);
    } finally {
      await Promise.all(instances.map((dataSource) => dataSource.destroy()));
    }
  });

  it('leaves an existing tenant of that id as it is', async () => {
    await using database = await createTestDatabase(migrate);
    const dataSource = await createDataSource(database.url, 2).initialize();
    try {
      const directory = new TenantDirectory(dataSource);
      await directory.createTenant('renamed by an operator', SANDBOX_TENANT_ID);

      const tenant = await directory.ensureTenant(SANDBOX_TENANT_ID, 'Sandbox (public playground)');

      expect(tenant).toMatchObject({ id: 'sandbox', name: 'renamed by an operator' });
    } finally {
      await dataSource.destroy();
    }
  });
});
