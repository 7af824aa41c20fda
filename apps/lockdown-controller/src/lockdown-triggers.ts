import type { EventDataOf, LedgerEvent, LockdownTrigger } from '@halm/contracts';

export interface TriggerRules {
  /** Integrity findings (a broken hash chain, a violated invariant) lock the tenant down only in strict mode. */
  strictMode: boolean;
  /** This many critical anomalies of a tenant within `windowMs` lock it down. */
  threshold: number;
  windowMs: number;
}

export interface TriggerFinding {
  trigger: LockdownTrigger;
  reason: string;
  evidence: Record<string, unknown>;
}

type Anomaly = EventDataOf<'AnomalyRecorded'>;

/** Anomaly kinds that are integrity findings: they lock down through their own trigger, and only in strict mode. */
const INTEGRITY_TRIGGERS: Partial<Record<Anomaly['kind'], LockdownTrigger>> = {
  HASH_CHAIN_FAILURE: 'HASH_CHAIN_FAILURE',
  INVARIANT_VIOLATION: 'INVARIANT_VIOLATION',
};

const anomalyOf = (event: LedgerEvent): Anomaly | null => (event.type === 'AnomalyRecorded' ? (event.data as Anomaly) : null);

const isLockdownEvent = (event: LedgerEvent): boolean => event.type === 'LockdownEngaged' || event.type === 'LockdownReleased';

const summary = (event: LedgerEvent, anomaly: Anomaly) => ({ anomalyId: anomaly.anomalyId, kind: anomaly.kind, severity: anomaly.severity, height: event.height, hash: event.hash, recordedAt: event.recordedAt });

/**
 * Whether an anomaly recorded in a tenant's ledger engages a lockdown of that tenant, decided
 * from the ledger alone so that every controller instance decides the same. `recent` is the
 * tenant's chain from at least `windowMs` before the anomaly up to its current head, in order.
 *
 * - BUDGET_CRITICAL: a budget breach at critical level engages at once.
 * - HASH_CHAIN_FAILURE, INVARIANT_VIOLATION: engage in strict mode; otherwise they are
 *   left to the incident they belong to and do not count below either.
 * - any other critical anomaly: engages when it is the `threshold`-th critical one within
 *   `windowMs` ending at it.
 *
 * Anomalies recorded before the tenant's latest lockdown event (engaged or released) were
 * dealt with by that lockdown: they neither engage nor count, so a release starts afresh and
 * a redelivered old anomaly cannot lock the tenant down again.
 */
export const lockdownTriggerFor = (anomalyEvent: LedgerEvent, recent: readonly LedgerEvent[], rules: TriggerRules): TriggerFinding | null => {
  const anomaly = anomalyOf(anomalyEvent);
  if (!anomaly) return null;
  let lastLockdownHeight = 0;
  for (const event of recent) if (isLockdownEvent(event) && event.height > lastLockdownHeight) lastLockdownHeight = event.height;
  if (anomalyEvent.height < lastLockdownHeight) return null;

  const integrityTrigger = INTEGRITY_TRIGGERS[anomaly.kind];
  if (integrityTrigger) {
    if (!rules.strictMode) return null;
    return { trigger: integrityTrigger, reason: `${anomaly.kind} recorded in strict mode (anomaly ${anomaly.anomalyId})`, evidence: { anomalies: [summary(anomalyEvent, anomaly)], detail: anomaly.evidence } };
  }
  if (anomaly.kind === 'BUDGET_CRITICAL') {
    return { trigger: 'BUDGET_CRITICAL', reason: `Budget breach at critical level (anomaly ${anomaly.anomalyId})`, evidence: { anomalies: [summary(anomalyEvent, anomaly)], detail: anomaly.evidence } };
  }
  if (anomaly.severity !== 'critical') return null;

  const end = Date.parse(anomalyEvent.recordedAt);
  const counted = recent.filter((event) => {
    const other = anomalyOf(event);
    if (!other || other.severity !== 'critical' || INTEGRITY_TRIGGERS[other.kind]) return false;
    if (event.height <= lastLockdownHeight || event.height > anomalyEvent.height) return false;
    const at = Date.parse(event.recordedAt);
    return at <= end && at >= end - rules.windowMs;
  });
  if (counted.length < rules.threshold) return null;
  return {
    trigger: 'CRITICAL_ANOMALIES',
    reason: `${counted.length} critical anomalies within ${formatWindow(rules.windowMs)}: ${[...new Set(counted.map((event) => anomalyOf(event)!.kind))].join(', ')}`,
    evidence: { windowMs: rules.windowMs, threshold: rules.threshold, anomalies: counted.map((event) => summary(event, anomalyOf(event)!)) },
  };
};

const formatWindow = (ms: number): string => (ms % 60_000 === 0 ? `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}` : `${ms / 1000} s`);
