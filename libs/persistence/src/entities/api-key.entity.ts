import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const API_KEY_ROLES = ['agent', 'approver', 'admin', 'auditor'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

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
