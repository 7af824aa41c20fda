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

  async findTenant(id: string): Promise<TenantEntity | null> {
    return this.dataSource.getRepository(TenantEntity).findOneBy({ id });
  }

  async issueKey(tenantId: string, roles: ApiKeyRole[], label = ''): Promise<IssuedKey> {
    const id = `key_${randomBytes(6).toString('hex')}`;
    const secret = `halm_${randomBytes(32).toString('base64url')}`;
    await this.dataSource.getRepository(ApiKeyEntity).insert({ id, tenantId, keyHash: hashApiKey(secret), roles, label, revokedAt: null });
    return { id, tenantId, roles, secret };
  }

  async revokeKey(tenantId: string, keyId: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(ApiKeyEntity).update({ id: keyId, tenantId }, { revokedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }

  /** The principal a presented secret stands for, or null when it is unknown or revoked. */
  async authenticate(secret: string): Promise<Principal | null> {
    const key = await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ keyHash: hashApiKey(secret) });
    if (!key || key.revokedAt) return null;
    return { keyId: key.id, tenantId: key.tenantId, roles: key.roles };
  }
}
