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

import type { Decision, Proposal } from './decision';

/** Every kind of event a tenant's ledger holds. Past tense: each records something that happened. */
export const LEDGER_EVENT_TYPES = [
  'DecisionRecorded',
  'ProposalApproved',
  'ProposalRejected',
  'ProposalVetoed',
  'VetoWindowElapsed',
  'PolicyPublished',
  'PolicyActivated',
] as const;

export type LedgerEventType = (typeof LEDGER_EVENT_TYPES)[number];

export const isValidLedgerEventType = (value: unknown): value is LedgerEventType =>
  typeof value === 'string' && (LEDGER_EVENT_TYPES as readonly string[]).includes(value);

/** Who did something: the API key (its id, never its secret) or the kernel itself. */
export interface Actor {
  kind: 'key' | 'kernel';
  /** The key id, or the kernel service's name. */
  id: string;
}

/** The data of each event type, keyed by type. */
export interface LedgerEventData {
  /** The proposal as the gateway named it and the evaluator's decision on it. */
  DecisionRecorded: { proposal: Proposal; decision: Decision };
  /** An approver let a REQUIRE_HUMAN proposal proceed. */
  ProposalApproved: { proposalId: string; by: Actor; reason: string };
  /** An approver refused a REQUIRE_HUMAN proposal. */
  ProposalRejected: { proposalId: string; by: Actor; reason: string };
  /** An approver vetoed a HELD_FOR_VETO proposal before its deadline. */
  ProposalVetoed: { proposalId: string; by: Actor; reason: string };
  /** A HELD_FOR_VETO proposal's deadline passed unvetoed: from now on it may execute. */
  VetoWindowElapsed: { proposalId: string; vetoDeadline: string };
  /**
   * A manifest version was published (immutable from now on); the whole normalized manifest
   * is kept. `proposalId` names the policy:update proposal that asked for it, null for the
   * default manifest the kernel installs before a tenant's first decision.
   */
  PolicyPublished: { version: number; hash: string; manifest: unknown; by: Actor; proposalId: string | null };
  /** A published version became the one in force. */
  PolicyActivated: { version: number; hash: string; previousVersion: number | null; by: Actor; proposalId: string | null };
}

/** The data of an event of type T. */
export type EventDataOf<T extends LedgerEventType> = LedgerEventData[T];
