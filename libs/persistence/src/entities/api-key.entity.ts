import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

import { ROLES, type Role } from '@halm/contracts';

export const API_KEY_ROLES = ROLES;
export type ApiKeyRole = Role;

/** An API key, stored only as the SHA-256 of its secret, scoped to one tenant and some roles. */
@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryColumn({ type: 'text' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Index({ unique: true })
  @Column({ name: 'key_hash', type: 'text' })
  keyHash!: string;

  @Column({ type: 'text', array: true })
  roles!: ApiKeyRole[];

  @Column({ type: 'text', default: '' })
  label!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
