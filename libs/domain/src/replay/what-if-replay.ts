import type { BudgetCharge, DecisionStatus, LedgerEvent } from '@halm/contracts';
import { budgetKeys, evaluate, type TenantState } from '../policy/evaluate';
import type { CompiledManifest } from '../policy/manifest';
import { type HeightRange, recordedDecisionOf } from './decision-replay';
import { sameJson } from './json-differences';

/** What a decision says to the agent, recorded or under the candidate. */
export interface WhatIfOutcome {
  status: DecisionStatus;
  reasons: string[];
  constraints: Record<string, unknown>;
}

/** A past decision the candidate manifest would have decided otherwise. */
export interface WhatIfChange {
  proposalId: string;
  height: number;
  /** The proposal's action type. */
  type: string;
  recorded: WhatIfOutcome;
  candidate: WhatIfOutcome;
}

export interface WhatIfReport {
  /** `examined`: the decisions in the range; `changed`: those listed in `changes`. */
  summary: { examined: number; changed: number };
  changes: WhatIfChange[];
}

interface Charge {
  proposalId: string;
  amount: number;
  atMs: number;
}

/**
 * What the candidate's budgets count along the replayed history: the charges of the candidate's
 * own decisions (one it denies charges nothing), at the time each was recorded, released when
 * the history rejects or vetoes the proposal, as the ledger counts the recorded ones.
 */
class CandidateBudgets {
  private readonly charges = new Map<string, Charge[]>();

  usage(budgetId: string, scopeKey: string, windowSeconds: number, at: Date): number {
    const since = at.getTime() - windowSeconds * 1000;
    let total = 0;
    for (const charge of this.charges.get(`${budgetId}\u0000${scopeKey}`) ?? []) if (charge.atMs > since) total += charge.amount;
    return total;
  }

  charge(charge: BudgetCharge, proposalId: string, atMs: number): void {
    const key = `${charge.budgetId}\u0000${charge.scopeKey}`;
    const list = this.charges.get(key) ?? [];
    // One budget has one window in the candidate: what fell out of it can never count again.
    const horizon = atMs - charge.windowSeconds * 1000;
    while (list.length > 0 && (list[0] as Charge).atMs <= horizon) list.shift();
    list.push({ proposalId, amount: charge.amount, atMs });
    this.charges.set(key, list);
  }

  release(proposalId: string): void {
    for (const [key, list] of this.charges) {
      const kept = list.filter((charge) => charge.proposalId !== proposalId);
      if (kept.length !== list.length) this.charges.set(key, kept);
    }
  }
}

const outcomeOf = (decision: { status: DecisionStatus; reasons: string[]; constraints: Record<string, unknown> }): WhatIfOutcome => ({
  status: decision.status,
  reasons: decision.reasons,
  constraints: decision.constraints,
});

/**
 * "What if this manifest had been in force": every recorded decision of the range decided
 * again by the candidate, on the lockdown the decision read and on budgets the candidate
 * counted itself along the history (from the start of the chain, so the range's first
 * decisions see the usage before them); the decisions whose status, reasons or constraints
 * would change are listed with both outcomes. Approvals, rejections and vetoes stay as the
 * history recorded them. Pure: the candidate comes compiled (`compileManifest`).
 */
export class WhatIfReplay {
  private readonly budgets = new CandidateBudgets();
  private readonly changes: WhatIfChange[] = [];
  private examined = 0;

  constructor(
    private readonly candidate: CompiledManifest,
    private readonly range: HeightRange = {},
  ) {}

  /** Folds the next event in; answers the change when it is a decision in the range that the candidate decides otherwise. */
  apply(event: LedgerEvent): WhatIfChange | undefined {
    if (this.range.toHeight !== undefined && event.height > this.range.toHeight) return undefined;
    if (event.type === 'ProposalRejected' || event.type === 'ProposalVetoed') {
      const proposalId = (event.data as { proposalId?: unknown } | null)?.proposalId;
      if (typeof proposalId === 'string') this.budgets.release(proposalId);
      return undefined;
    }
    if (event.type !== 'DecisionRecorded') return undefined;
    const recorded = recordedDecisionOf(event);
    if (!recorded) return undefined;
    const { proposal, decision } = recorded;
    const inRange = event.height >= (this.range.fromHeight ?? 1);
    const keys = budgetKeys(proposal, this.candidate);
    // Before the range a decision matters only for what it adds to the candidate's budgets.
    if (!inRange && keys.length === 0) return undefined;
    const now = new Date(typeof decision.decidedAt === 'string' ? decision.decidedAt : event.recordedAt);
    if (Number.isNaN(now.getTime())) return undefined;
    const read = (decision.stateRead ?? {}) as { lockdown?: unknown; lockdownReason?: unknown };
    const state: TenantState =
      read.lockdown === true
        ? { lockdown: true, ...(read.lockdownReason !== undefined ? { lockdownReason: read.lockdownReason as string } : {}), budgets: {} }
        : { lockdown: false, budgets: Object.fromEntries(keys.map((key) => [key.budgetId, { used: this.budgets.usage(key.budgetId, key.scopeKey, key.windowSeconds, now) }])) };
    let candidate;
    try {
      candidate = evaluate(proposal, this.candidate, { version: this.candidate.version ?? 0, hash: this.candidate.hash }, state, now);
    } catch {
      return undefined;
    }
    const recordedAtMs = Date.parse(event.recordedAt);
    for (const charge of candidate.budgetCharges ?? []) this.budgets.charge(charge, proposal.proposalId, recordedAtMs);
    if (!inRange) return undefined;
    this.examined += 1;
    const before = outcomeOf(decision);
    if (before.status === candidate.status && sameJson(before.reasons, candidate.reasons) && sameJson(before.constraints, candidate.constraints)) return undefined;
    const change: WhatIfChange = { proposalId: proposal.proposalId, height: event.height, type: String(proposal.type), recorded: before, candidate: outcomeOf(candidate) };
    this.changes.push(change);
    return change;
  }

  report(): WhatIfReport {
    return { summary: { examined: this.examined, changed: this.changes.length }, changes: [...this.changes] };
  }
}

/** Decides every decision of `events` (one tenant's, in chain order) in the range again with `candidate`. */
export const whatIf = (events: Iterable<LedgerEvent>, candidate: CompiledManifest, range: HeightRange = {}): WhatIfReport => {
  const replay = new WhatIfReplay(candidate, range);
  for (const event of events) replay.apply(event);
  return replay.report();
};
