import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { LedgerEvent } from '@halm/contracts';

/**
 * A ledger event as the stream holds it, with its RFC 9162 leaf hash: the input of the
 * auditors' proofs. `event` is `json`, not `jsonb`: it keeps the event's text as stored,
 * which jsonb could not (it rejects the escape \u0000).
 */
@Entity({ name: 'ledger_events' })
export class LedgerEventEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @PrimaryColumn({ type: 'integer' })
  height!: number;

  @Column({ name: 'event_id', type: 'text' })
  eventId!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'text' })
  hash!: string;

  @Column({ name: 'prev_hash', type: 'text' })
  prevHash!: string;

  @Column({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt!: Date;

  /** SHA-256(0x00 || RFC 8785 form of the event), hex: leaf `height - 1` of the tenant's tree. */
  @Column({ name: 'leaf_hash', type: 'text' })
  leafHash!: string;

  @Column({ type: 'json' })
  event!: LedgerEvent;
}
