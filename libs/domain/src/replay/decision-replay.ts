import type { BudgetCharge, Decision, LedgerEvent, Proposal } from '@halm/contracts';
import { budgetKeys, evaluate, type TenantState } from '../policy/evaluate';
import type { CompiledManifest } from '../policy/manifest';
import { budgetLevelOf, TenantLedger } from '../tenant/tenant-ledger';
import { jsonDifferences, type ReplayDifference } from './json-differences';
import { PolicySnapshots } from './policy-snapshots';

export const REPLAY_VERDICTS = ['PASS', 'FAIL', 'UNKNOWN'] as const;
/**
 * PASS: re-evaluating the decision gives exactly what was recorded. FAIL: it does not (drift),
 * or the chain could not have recorded it. UNKNOWN: the policy snapshot it names is missing.
 */
export type ReplayVerdict = (typeof REPLAY_VERDICTS)[number];

export interface DecisionReplayResult {
  proposalId: string;
  /** The height of the DecisionRecorded event. */
  height: number;
  verdict: ReplayVerdict;
  /** Empty for PASS and UNKNOWN. */
  differences: ReplayDifference[];
  /** Why it is FAIL or UNKNOWN, in a sentence. */
  reason?: string;
}

export interface ReplaySummary {
  total: number;
  pass: number;
  fail: number;
  unknown: number;
}

export interface ReplayReport {
  summary: ReplaySummary;
  results: DecisionReplayResult[];
}

/** Heights 1-based and inclusive; absent ends are the chain's. */
export interface HeightRange {
  fromHeight?: number;
  toHeight?: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

interface RecordedDecision {
  proposal: Proposal;
  decision: Decision;
}

/** The proposal and decision of a DecisionRecorded event, when it holds both. */
export const recordedDecisionOf = (event: Pick<LedgerEvent, 'data'>): RecordedDecision | undefined => {
  const data = event.data as Partial<RecordedDecision> | null;
  return isRecord(data) && isRecord(data.proposal) && isRecord(data.decision) ? (data as RecordedDecision) : undefined;
};

const proposalIdOf = (event: LedgerEvent): string => {
  const data = event.data as { proposal?: { proposalId?: unknown }; decision?: { proposalId?: unknown } } | null;
  const named = data?.proposal?.proposalId ?? data?.decision?.proposalId;
  return typeof named === 'string' ? named : event.eventId;
};

/**
 * The state the evaluator read, as the decision recorded it: the lockdown and its reason, and
 * the usage of each budget it counted. The recorded usage is the authority, not a re-fold of
 * the charges: the evaluator may read usage a moment old (its cache, or decisions recorded
 * while it decided), which the ledger accepts as long as the budget stays at the level read,
 * and the ledger's own check is replayed on its own (`admissionDifferences`). Only a budget
 * the reading does not hold is read from the fold, as the ledger answers tenant-state.
 */
export const stateRecordedBy = (proposal: Proposal, decision: Decision, manifest: CompiledManifest, ledger: TenantLedger, now: Date): TenantState => {
  const read = isRecord(decision.stateRead) ? decision.stateRead : {};
  if (read['lockdown'] === true) {
    return { lockdown: true, ...(read['lockdownReason'] !== undefined ? { lockdownReason: read['lockdownReason'] as string } : {}), budgets: {} };
  }
  const recordedBudgets = isRecord(read['budgets']) ? read['budgets'] : {};
  const budgets: Record<string, { used: number }> = {};
  for (const key of budgetKeys(proposal, manifest)) {
    const entry = recordedBudgets[key.budgetId];
    budgets[key.budgetId] = isRecord(entry) && 'used' in entry ? { used: entry['used'] as number } : { used: ledger.usage(key.budgetId, key.scopeKey, key.windowSeconds, now) };
  }
  return { lockdown: false, budgets };
};

/**
 * The ledger's check when it recorded the decision (`TenantLedger.check`), replayed on the
 * fold of the events before it: no ALLOW while the chain holds a lockdown, the version in
 * force, and budget charges that neither pass the critical level nor reach another level than
 * the one read. A difference's `replayed` side is what the chain held at that height.
 */
export const admissionDifferences = (event: LedgerEvent, decision: Decision, ledger: TenantLedger): { differences: ReplayDifference[]; reasons: string[] } => {
  const differences: ReplayDifference[] = [];
  const reasons: string[] = [];
  const read = isRecord(decision.stateRead) ? decision.stateRead : {};
  const lockdown = ledger.activeLockdowns()[0];
  if (lockdown && decision.status === 'ALLOW') {
    // The decision may even have read the lockdown and been altered afterwards: then the status, not this field, differs.
    if (read['lockdown'] !== true) differences.push({ field: 'stateRead.lockdown', ...(read['lockdown'] !== undefined ? { recorded: read['lockdown'] } : {}), replayed: true });
    reasons.push(`lockdown ${lockdown.lockdownId} was in force in the chain, so nothing could be allowed`);
  }
  const active = ledger.activePolicy();
  const version = (decision.policy as { version?: unknown } | undefined)?.version;
  if (active && version !== active.version) {
    differences.push({ field: 'policy.version', recorded: version, replayed: active.version });
    reasons.push(`policy version ${active.version} was in force in the chain, not ${String(version)}`);
  }
  const charges: unknown = decision.budgetCharges;
  const recordedBudgets = isRecord(read['budgets']) ? read['budgets'] : {};
  const at = new Date(event.recordedAt);
  for (const charge of Array.isArray(charges) ? (charges as BudgetCharge[]) : []) {
    const budget = active?.manifest.budgets.find((candidate) => candidate.id === charge?.budgetId);
    if (!budget) continue;
    const folded = ledger.usage(charge.budgetId, charge.scopeKey, charge.windowSeconds, at);
    const level = budgetLevelOf(folded + charge.amount, budget.warning, budget.critical);
    const entry = recordedBudgets[charge.budgetId];
    const recordedUsed = isRecord(entry) ? (entry['used'] as number | undefined) : undefined;
    const recordedLevel = budgetLevelOf((recordedUsed ?? 0) + charge.amount, budget.warning, budget.critical);
    if (level === 'CRITICAL' || level !== recordedLevel) {
      differences.push({ field: `stateRead.budgets.${charge.budgetId}.used`, ...(recordedUsed !== undefined ? { recorded: recordedUsed } : {}), replayed: folded });
      reasons.push(`budget ${charge.budgetId} had counted ${folded} in the chain when the decision was recorded, so its charge of ${charge.amount} was ${level}, not ${recordedLevel} as read`);
    }
  }
  return { differences, reasons };
};

/** The verdict on one DecisionRecorded event, against the fold of every event before it. */
export const replayDecision = (event: LedgerEvent, ledger: TenantLedger, snapshots: PolicySnapshots): DecisionReplayResult => {
  const at = { proposalId: proposalIdOf(event), height: event.height };
  const unknown = (reason: string): DecisionReplayResult => ({ ...at, verdict: 'UNKNOWN', differences: [], reason });
  const recorded = recordedDecisionOf(event);
  if (!recorded) return unknown('the event holds no proposal and decision to replay');
  const { proposal, decision } = recorded;
  const snapshot = snapshots.resolve(ledger, decision.policy);
  if (!snapshot.ok) return unknown(snapshot.reason);
  const now = new Date(typeof decision.decidedAt === 'string' ? decision.decidedAt : Number.NaN);
  if (Number.isNaN(now.getTime())) return unknown('its decidedAt is not a time: when the decision was taken is unknown');
  let replayed: Decision;
  try {
    replayed = evaluate(proposal, snapshot.manifest, snapshot.identity, stateRecordedBy(proposal, decision, snapshot.manifest, ledger, now), now);
  } catch (error) {
    return unknown(`the proposal could not be evaluated again: ${(error as Error).message}`);
  }
  const drift = jsonDifferences(decision, replayed);
  const admission = admissionDifferences(event, decision, ledger);
  if (drift.length === 0 && admission.differences.length === 0) return { ...at, verdict: 'PASS', differences: [] };
  const reasons = [
    ...(drift.length > 0 ? [`policy version ${snapshot.identity.version} gives another decision for the state it read (${drift.map((difference) => difference.field).join(', ')})`] : []),
    ...admission.reasons.map((reason) => `the ledger would have refused it: ${reason}`),
  ];
  return { ...at, verdict: 'FAIL', differences: [...drift, ...admission.differences], reason: reasons.join('; ') };
};

/**
 * Replay verification as a fold: feed a tenant's events in chain order; each DecisionRecorded
 * in the range is re-evaluated on the state it recorded, with the policy snapshot it names as
 * the chain published it, and compared field by field with what was recorded. Events before
 * the range are folded (policies, budget charges, lockdowns) without a verdict; events after
 * it are ignored. The hash chain itself is `verifyChain`'s business: replay takes the events
 * as given, which is what lets it judge a doctored copy.
 */
export class DecisionReplay {
  private ledger: TenantLedger | undefined;
  private readonly snapshots = new PolicySnapshots();
  private readonly results: DecisionReplayResult[] = [];
  private readonly summary: ReplaySummary = { total: 0, pass: 0, fail: 0, unknown: 0 };

  constructor(private readonly range: HeightRange = {}) {}

  /** Folds the next event in; answers the verdict when it is a decision in the range. */
  apply(event: LedgerEvent): DecisionReplayResult | undefined {
    if (this.range.toHeight !== undefined && event.height > this.range.toHeight) return undefined;
    const ledger = (this.ledger ??= new TenantLedger(event.tenantId));
    let result: DecisionReplayResult | undefined;
    if (event.type === 'DecisionRecorded' && event.height >= (this.range.fromHeight ?? 1)) {
      result = replayDecision(event, ledger, this.snapshots);
      this.results.push(result);
      this.summary.total += 1;
      this.summary[result.verdict === 'PASS' ? 'pass' : result.verdict === 'FAIL' ? 'fail' : 'unknown'] += 1;
    }
    applyTolerantly(ledger, event);
    return result;
  }

  report(): ReplayReport {
    return { summary: { ...this.summary }, results: [...this.results] };
  }
}

/**
 * Folds an event that may be malformed (a doctored copy, a bug): what the fold can take of it
 * stays applied, and the replay goes on; the decision it holds was judged already.
 */
export const applyTolerantly = (ledger: TenantLedger, event: LedgerEvent): void => {
  try {
    ledger.apply(event);
  } catch {
    // nothing more to take from it
  }
};

/** Replays every decision of `events` (one tenant's, in chain order) in the range. */
export const replayDecisions = (events: Iterable<LedgerEvent>, range: HeightRange = {}): ReplayReport => {
  const replay = new DecisionReplay(range);
  for (const event of events) replay.apply(event);
  return replay.report();
};
