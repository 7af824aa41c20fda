import type { Actor } from './ledger-event';

/** The six kernel invariants of the transparency page, by their published names, in its order. */
export const INVARIANT_NAMES = [
  'NO_SIDE_EFFECT_WITHOUT_ALLOW',
  'EXECUTION_TOKEN_REQUIRED',
  'DECISION_HASH_VALID',
  'HASH_CHAIN_CONTINUOUS',
  'LOCKDOWN_OVERRIDES_ALL',
  'TENANT_ISOLATION_ENFORCED',
] as const;

export type InvariantName = (typeof INVARIANT_NAMES)[number];

export const isInvariantName = (value: unknown): value is InvariantName => typeof value === 'string' && (INVARIANT_NAMES as readonly string[]).includes(value);

/**
 * The chain the integrity monitor records its runs in. It is no tenant (no API key names it):
 * a run that appended to every tenant's chain would give the next run an event to examine in
 * every tenant, forever; one chain of the kernel's own, checked and checkpointed like the
 * others, witnesses each tenant's head as the run saw it.
 */
export const KERNEL_TENANT_ID = 'halm-kernel';

/** How one invariant fared, over the tenants a run (or a view of it) covers. */
export interface InvariantResultView {
  invariant: InvariantName;
  passing: boolean;
  eventsExamined: number;
}

/** A run of the integrity monitor: `GET /api/audit/integrity/checks` lists these, `POST /api/admin/integrity/checks` answers one. */
export interface IntegrityRunView {
  runId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  eventsExamined: number;
  results: InvariantResultView[];
}

/** What a run did with one tenant. */
export interface TenantCheckView {
  tenantId: string;
  /** False when another monitor instance was checking the tenant at that moment (it records its own run). */
  checked: boolean;
  /** The height the tenant's chain was examined up to. */
  height: number;
  eventsExamined: number;
  results: InvariantResultView[];
  /** The incidents this run opened (a finding seen before opens none). */
  incidentsOpened: string[];
  /** What could not be checked, and why. */
  notes: string[];
}

/** `integrity.req.check`: gateway and CLI → integrity-monitor. Who may ask is checked by them. */
export interface IntegrityCheckRequest {
  /** One tenant; absent: every tenant. */
  tenantId?: string;
  /** Examine the whole history again from the first event, not only the events since the last check. */
  full?: boolean;
  requestedBy: Actor;
}

export interface IntegrityCheckReply {
  run: IntegrityRunView;
  tenants: TenantCheckView[];
}

export const INCIDENT_STATUSES = ['OPEN', 'RESOLVED'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** One event a finding is about. */
export interface IncidentEvidenceEvent {
  height: number | null;
  eventId: string | null;
  hash: string | null;
  problem: string;
}

/** A violation of an invariant in one tenant, opened once per finding, with its evidence. */
export interface IncidentView {
  incidentId: string;
  tenantId: string;
  invariant: InvariantName;
  openedAt: string;
  status: IncidentStatus;
  summary: string;
  evidence: { events: IncidentEvidenceEvent[]; [detail: string]: unknown };
}

/** The `data` of an IntegrityCheckRecorded event in the kernel's chain. */
export interface IntegrityCheckRecordedData {
  runId: string;
  startedAt: string;
  finishedAt: string;
  trigger: 'schedule' | 'request';
  requestedBy: Actor | null;
  full: boolean;
  tenantsChecked: number;
  eventsExamined: number;
  results: InvariantResultView[];
  /** Each tenant with new events, as the run left it: a witness of its head outside its own chain. */
  heads: { tenantId: string; height: number; hash: string }[];
  incidentsOpened: string[];
}
