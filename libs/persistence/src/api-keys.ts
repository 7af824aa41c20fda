import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ApiKeyEntity, type ApiKeyRole } from './entities/api-key.entity';
import { TenantEntity } from './entities/tenant.entity';

/** The secret is 32 random bytes, so a plain SHA-256 is enough to make the stored form useless to a thief. */
export const hashApiKey = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

export interface IssuedKey {
  id: string;
  tenantId: string;
  roles: ApiKeyRole[];
  /** Shown once; only its hash is stored. */
  secret: string;
}

export interface Principal {
  keyId: string;
  tenantId: string;
  roles: ApiKeyRole[];
}

export const newTenantId = (): string => `ten_${randomBytes(8).toString('hex')}`;

export class TenantDirectory {
  constructor(private readonly dataSource: DataSource) {}

  async createTenant(name: string, id: string = newTenantId()): Promise<TenantEntity> {
    const repository = this.dataSource.getRepository(TenantEntity);
    await repository.insert({ id, name });
    return repository.findOneByOrFail({ id });
  }

  /** Creates the tenant unless one with this id exists (INSERT … ON CONFLICT DO NOTHING): safe when several instances race. */
  async ensureTenant(id: string, name: string): Promise<TenantEntity> {
    await this.dataSource.createQueryBuilder().insert().into(TenantEntity).values({ id, name }).orIgnore().execute();
    return this.dataSource.getRepository(TenantEntity).findOneByOrFail({ id });
  }

  async findTenant(id: string): Promise<TenantEntity | null> {
    return this.dataSource.getRepository(TenantEntity).findOneBy({ id });
  }

  async issueKey(tenantId: string, roles: ApiKeyRole[], label = ''): Promise<IssuedKey> {
    const id = `key_${randomBytes(6).toString('hex')}`;
    const secret = `halm_${randomBytes(32).toString('base64url')}`;
    await this.dataSource.getRepository(ApiKeyEntity).insert({ id, tenantId, keyHash: hashApiKey(secret), roles, label, revokedAt: null });
    return { id, tenantId, roles, secret };
  }

  /** Revokes a key of the tenant; false when the tenant has no such key. Revoking twice keeps the first time. */
  async revokeKey(tenantId: string, keyId: string): Promise<{ keyHash: string } | null> {
    const repository = this.dataSource.getRepository(ApiKeyEntity);
    const key = await repository.findOneBy({ id: keyId, tenantId });
    if (!key) return null;
    if (!key.revokedAt) await repository.update({ id: keyId, tenantId }, { revokedAt: new Date() });
    return { keyHash: key.keyHash };
  }

  async listKeys(tenantId: string): Promise<ApiKeyEntity[]> {
    return this.dataSource.getRepository(ApiKeyEntity).find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  /** The principal a presented secret stands for, or null when it is unknown or revoked. */
  async authenticate(secret: string): Promise<Principal | null> {
    return this.authenticateHash(hashApiKey(secret));
  }

  async authenticateHash(keyHash: string): Promise<Principal | null> {
    const key = await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ keyHash });
    if (!key || key.revokedAt) return null;
    return { keyId: key.id, tenantId: key.tenantId, roles: key.roles };
  }
}
