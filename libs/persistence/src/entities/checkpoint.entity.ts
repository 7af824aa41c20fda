import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A signed checkpoint of a tenant's Merkle tree, as the ledger published it on the checkpoint stream. */
@Entity({ name: 'checkpoints' })
export class CheckpointEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @PrimaryColumn({ name: 'tree_size', type: 'integer' })
  treeSize!: number;

  @PrimaryColumn({ name: 'key_id', type: 'text' })
  keyId!: string;

  @Column({ name: 'root_hash', type: 'text' })
  rootHash!: string;

  /** The RFC 3339 text the signature covers, kept as signed (a timestamptz would drop digits beyond microseconds). */
  @Column({ name: 'issued_at', type: 'text' })
  issuedAt!: string;

  /** Ed25519, unpadded base64url, over the RFC 8785 form of the other fields. */
  @Column({ type: 'text' })
  signature!: string;
}
