import type { BudgetCharge, BudgetLevel, Decision, DecisionStatus, Proposal } from '@halm/contracts';
import { type Activation, type CelState, evaluationFailure } from './cel-environment';
import type { ActionPlan, BudgetScope, CompiledBudget, CompiledManifest, CompiledRule } from './manifest';

/**
 * What the evaluator reads besides the proposal; recorded with the decision so replay sees the same.
 * `budgets[id].used` is the usage already counted in that budget's window for this proposal's
 * scope key (see `budgetKeys`); a budget missing here counts as unused.
 */
export interface TenantState {
  lockdown: boolean;
  /** Which lockdown is in force (`lockdownReasonFor`): the reason a decision taken during it gives, recorded as read. */
  lockdownReason?: string;
  budgets: Readonly<Record<string, { used: number }>>;
}

export const initialState = (): TenantState => ({ lockdown: false, budgets: {} });

export interface PolicyIdentity {
  version: number;
  hash: string;
}

/** One budget usage the shell must load (the sum over the window, for the scope key) before evaluating. */
export interface BudgetKey {
  budgetId: string;
  scopeKey: string;
  windowSeconds: number;
}

export const LOCKDOWN_REASON = 'Lockdown is active: no action may proceed';

/** The reason a decision during a lockdown gives: the lockdown's scope and the reason it was engaged with. */
export const lockdownReasonFor = (scope: string, reason: string): string => `Lockdown active (${scope}): ${reason}`;
export const NOTHING_MATCHED_REASON = 'No rule of the active policy manifest allows this action';

const planOf = (manifest: CompiledManifest, type: string): ActionPlan => manifest.plans.get(type) ?? manifest.otherPlan;

const scopeKeyOf = (scope: BudgetScope, proposal: Proposal): string => {
  const key = scope === 'tenant' ? proposal.tenantId : scope === 'agent' ? proposal.context?.agentId : proposal.context?.sessionId;
  return typeof key === 'string' && key !== '' ? key : 'unknown';
};

/** The budget usages `evaluate` will read for this proposal, so the shell can load exactly those. */
export const budgetKeys = (proposal: Proposal, manifest: CompiledManifest): BudgetKey[] =>
  planOf(manifest, proposal.type).budgets.map((budget) => ({ budgetId: budget.id, scopeKey: scopeKeyOf(budget.scope, proposal), windowSeconds: budget.windowSeconds }));

// A score that is not a finite number (NaN, or null from JSON) counts as none: NaN is never below a threshold, so it would auto-commit.
const confidenceOf = (proposal: Proposal): number | undefined => {
  const score: unknown = proposal.context?.confidenceScore;
  return typeof score === 'number' && Number.isFinite(score) ? score : undefined;
};

const EMPTY_CEL_STATE: CelState = Object.freeze({ lockdown: false, budgets: Object.freeze({}) });

const activationOf = (proposal: Proposal, plan: ActionPlan, manifest: CompiledManifest, state: TenantState, confidence: number | undefined, now: Date): Activation => {
  const given = proposal.context ?? {};
  const context: { confidenceScore?: number; sessionId?: string; agentId?: string } = {};
  if (confidence !== undefined) context.confidenceScore = confidence;
  if (typeof given.sessionId === 'string') context.sessionId = given.sessionId;
  if (typeof given.agentId === 'string') context.agentId = given.agentId;
  return {
    actionType: proposal.type,
    payload: proposal.payload ?? {},
    justification: typeof proposal.justification === 'string' ? proposal.justification : '',
    context,
    now,
    state: manifest.readsState ? celStateOf(plan, state) : EMPTY_CEL_STATE,
  };
};

const celStateOf = (plan: ActionPlan, state: TenantState): CelState => {
  const budgets: Record<string, CelState['budgets'][string]> = {};
  for (const budget of plan.budgets) {
    const entry: CelState['budgets'][string] = { used: usedOf(budget, state), critical: budget.critical, windowSeconds: budget.windowSeconds };
    if (budget.warning !== undefined) entry.warning = budget.warning;
    budgets[budget.id] = entry;
  }
  return { lockdown: state.lockdown, budgets };
};

const usedOf = (budget: CompiledBudget, state: TenantState): number => state.budgets?.[budget.id]?.used ?? 0;

/** Groups thousands so limits read like the manifest's author wrote them: 10,120 of 10,000. */
const formatNumber = (value: number): string => {
  const text = String(Math.round(value * 1e6) / 1e6);
  if (text.includes('e')) return text;
  const [whole, fraction] = text.split('.') as [string, string | undefined];
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
};

const describeResult = (value: unknown): string => (typeof value === 'bigint' ? `${value}` : value === null ? 'null' : typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`);

/** Collects the rules of one effect that match; a condition that cannot be evaluated matches unless the rule allows. */
const matchRules = (rules: readonly CompiledRule[], activation: Activation | undefined, matched: CompiledRule[], reasons: string[], allowFailures: string[] | undefined): void => {
  for (const rule of rules) {
    if (rule.condition === undefined) {
      matched.push(rule);
      reasons.push(rule.reason);
      continue;
    }
    let failure: string | undefined;
    try {
      const result = rule.condition(activation as Activation);
      if (result === true) {
        matched.push(rule);
        reasons.push(rule.reason);
        continue;
      }
      if (result !== false) failure = `it gave ${describeResult(result)}, not a bool`;
    } catch (error) {
      failure = evaluationFailure(error);
    }
    if (failure === undefined) continue;
    if (allowFailures) {
      allowFailures.push(`Rule ${rule.id} does not allow: its condition could not be evaluated (${failure})`);
    } else {
      matched.push(rule);
      reasons.push(`${rule.reason} (condition could not be evaluated: ${failure})`);
    }
  }
};

const LEVEL_ORDER: Record<BudgetLevel, number> = { OK: 0, WARNING: 1, CRITICAL: 2 };

/**
 * Deny overrides: DENY > REQUIRE_HUMAN > HELD_FOR_VETO > ALLOW; nothing matched is a deny; a
 * lockdown denies everything; a budget pushed past its critical level denies; an ALLOW below
 * the auto-commit threshold (or the rule's own minimum) waits for a human. Pure: the same
 * inputs give the same decision, which records everything it read.
 */
export const evaluate = (proposal: Proposal, manifest: CompiledManifest, policy: PolicyIdentity, state: TenantState, now: Date): Decision => {
  const decidedAt = now.toISOString();
  const policyReference = { version: policy.version, hash: policy.hash };
  if (state.lockdown) {
    const { lockdownReason } = state;
    const read = lockdownReason === undefined ? { lockdown: true } : { lockdown: true, lockdownReason };
    return decision(proposal, 'DENY', [lockdownReason ?? LOCKDOWN_REASON], {}, null, decidedAt, policyReference, [], read, undefined, undefined);
  }
  const plan = planOf(manifest, proposal.type);
  const confidence = confidenceOf(proposal);
  const activation = plan.usesCel ? activationOf(proposal, plan, manifest, state, confidence, now) : undefined;

  let budgetLevel: BudgetLevel | undefined;
  let charges: BudgetCharge[] | undefined;
  let budgetsRead: Record<string, { scopeKey: string; used: number }> | undefined;
  const criticalIds: string[] = [];
  const criticalReasons: string[] = [];
  const warningReasons: string[] = [];
  for (const budget of plan.budgets) {
    const scopeKey = scopeKeyOf(budget.scope, proposal);
    const used = usedOf(budget, state);
    (budgetsRead ??= {})[budget.id] = { scopeKey, used };
    let level: BudgetLevel = 'OK';
    let failure: string | undefined;
    let amount = 0;
    try {
      const result = budget.amount(activation as Activation);
      amount = typeof result === 'bigint' ? Number(result) : (result as number);
      if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) failure = `the amount is ${describeResult(result)}, not a number of at least 0`;
    } catch (error) {
      failure = evaluationFailure(error);
    }
    if (failure === undefined && !(typeof used === 'number' && Number.isFinite(used) && used >= 0)) failure = `its recorded usage is ${describeResult(used)}`;
    if (failure !== undefined) {
      level = 'CRITICAL';
      criticalIds.push(budget.id);
      criticalReasons.push(`Budget ${budget.id} could not count this action (${failure}), so it counts as critical`);
    } else {
      (charges ??= []).push({ budgetId: budget.id, scopeKey, amount, windowSeconds: budget.windowSeconds });
      const total = used + amount;
      if (total > budget.critical) {
        level = 'CRITICAL';
        criticalIds.push(budget.id);
        criticalReasons.push(`Budget ${budget.id} would reach ${formatNumber(total)} of ${formatNumber(budget.critical)} (critical)`);
      } else if (budget.warning !== undefined && total >= budget.warning) {
        level = 'WARNING';
        warningReasons.push(`Budget ${budget.id} would reach ${formatNumber(total)} of ${formatNumber(budget.critical)} (warning at ${formatNumber(budget.warning)})`);
      }
    }
    if (budgetLevel === undefined || LEVEL_ORDER[level] > LEVEL_ORDER[budgetLevel]) budgetLevel = level;
  }
  const stateRead: Record<string, unknown> = budgetsRead === undefined ? { lockdown: false } : { lockdown: false, budgets: budgetsRead };
  const finish = (status: DecisionStatus, reasons: string[], constraints: Record<string, unknown>, vetoDeadline: string | null, matchedRules: string[]): Decision =>
    decision(proposal, status, reasons, constraints, vetoDeadline, decidedAt, policyReference, matchedRules, stateRead, status === 'DENY' ? undefined : charges, budgetLevel);
  const idsOf = (rules: readonly CompiledRule[]) => rules.map((rule) => rule.id);

  const matched: CompiledRule[] = [];
  const reasons: string[] = [];
  matchRules(plan.deny, activation, matched, reasons, undefined);
  if (matched.length > 0 || criticalIds.length > 0) {
    return finish('DENY', [...reasons, ...criticalReasons], {}, null, [...idsOf(matched), ...criticalIds]);
  }
  matchRules(plan.requireHuman, activation, matched, reasons, undefined);
  if (matched.length > 0) return finish('REQUIRE_HUMAN', [...reasons, ...warningReasons], {}, null, idsOf(matched));

  matchRules(plan.heldForVeto, activation, matched, reasons, undefined);
  if (matched.length > 0) {
    // Several veto rules: the longest window wins, so no rule's promise of time to veto is cut short.
    let windowSeconds = 0;
    for (const rule of matched) if (rule.vetoWindowSeconds > windowSeconds) windowSeconds = rule.vetoWindowSeconds;
    const deadline = new Date(now.getTime() + windowSeconds * 1000).toISOString();
    return finish('HELD_FOR_VETO', [...reasons, ...warningReasons], {}, deadline, idsOf(matched));
  }

  const allowFailures: string[] = [];
  matchRules(plan.allow, activation, matched, reasons, allowFailures);
  if (matched.length === 0) return finish('DENY', [NOTHING_MATCHED_REASON, ...allowFailures], {}, null, []);

  let constraints: Record<string, unknown> = {};
  let threshold = -1;
  let thresholdRule: string | undefined;
  for (const rule of matched) {
    // Later rules win a clash of constraint keys, in manifest order.
    if (rule.constraints !== undefined) constraints = { ...constraints, ...rule.constraints };
    const ruleThreshold = rule.minConfidence ?? manifest.autoCommitThreshold;
    if (ruleThreshold > threshold) {
      threshold = ruleThreshold;
      thresholdRule = rule.minConfidence === undefined ? undefined : rule.id;
    }
  }
  const thresholdText = thresholdRule === undefined ? `auto-commit threshold ${threshold}` : `minimum confidence ${threshold} of rule ${thresholdRule}`;
  const ids = idsOf(matched);
  if (confidence === undefined) {
    return finish('REQUIRE_HUMAN', [`No confidence score given; auto-commit needs at least ${threshold}${thresholdRule === undefined ? '' : ` (minimum confidence of rule ${thresholdRule})`}`, ...warningReasons], constraints, null, ids);
  }
  if (confidence < threshold) return finish('REQUIRE_HUMAN', [`Confidence ${confidence} is below ${thresholdText}`, ...warningReasons], constraints, null, ids);
  const comparison = confidence === threshold ? 'meets' : 'exceeds';
  return finish('ALLOW', [...reasons, `Confidence ${confidence} ${comparison} ${thresholdText}`, ...warningReasons], constraints, null, ids);
};

const decision = (
  proposal: Proposal,
  status: DecisionStatus,
  reasons: string[],
  constraints: Record<string, unknown>,
  vetoDeadline: string | null,
  decidedAt: string,
  policy: PolicyIdentity,
  matchedRules: string[],
  stateRead: Record<string, unknown>,
  budgetCharges: BudgetCharge[] | undefined,
  budgetLevel: BudgetLevel | undefined,
): Decision => {
  const result: Decision = {
    proposalId: proposal.proposalId,
    status,
    allowed: status === 'ALLOW',
    reasons,
    constraints,
    vetoDeadline,
    humanApprovalRequired: status === 'REQUIRE_HUMAN',
    decidedAt,
    policy,
    matchedRules,
    stateRead,
  };
  if (budgetCharges !== undefined) result.budgetCharges = budgetCharges;
  if (budgetLevel !== undefined) result.budgetLevel = budgetLevel;
  return result;
};
