/** The fields of a ledger event that its hash covers. */
export interface UnsealedLedgerEvent {
  tenantId: string;
  /** 1 for a tenant's first event, contiguous after that. */
  height: number;
  /** The previous event's hash; 64 zeros for the first event. */
  prevHash: string;
  eventId: string;
  type: LedgerEventType;
  recordedAt: string;
  data: unknown;
}

/** An event as it is stored on the tenant's ledger subject: its hash is SHA-256 over the RFC 8785 form of the rest. */
export interface LedgerEvent extends UnsealedLedgerEvent {
  hash: string;
}

export type LedgerEventType = 'DecisionRecorded';

export const LEDGER_EVENT_TYPES: readonly LedgerEventType[] = ['DecisionRecorded'];

export const isValidLedgerEventType = (value: unknown): value is LedgerEventType =>
  typeof value === 'string' && (LEDGER_EVENT_TYPES as readonly string[]).includes(value);
