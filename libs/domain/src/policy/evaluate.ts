import type { Decision, DecisionStatus, Proposal } from '@halm/contracts';
import type { Manifest, ManifestRule } from './manifest';

/** What the evaluator read besides the proposal; recorded with the decision so replay sees the same. */
export interface TenantState {
  lockdown: boolean;
}

export const initialState = (): TenantState => ({ lockdown: false });

export interface PolicyIdentity {
  version: number;
  hash: string;
}

// Deny overrides everything; a human gate overrides a veto window, which overrides a plain allow.
const PRECEDENCE: readonly DecisionStatus[] = ['DENY', 'REQUIRE_HUMAN', 'HELD_FOR_VETO', 'ALLOW'];

// A score that is not a finite number (NaN, or null from JSON) counts as none: NaN is never below a threshold, so it would auto-commit.
const confidenceOf = (proposal: Proposal): number | undefined => {
  const score: unknown = proposal.context.confidenceScore;
  return typeof score === 'number' && Number.isFinite(score) ? score : undefined;
};

const ruleApplies = (rule: ManifestRule, proposal: Proposal): boolean => {
  if (rule.actionTypes !== '*' && !rule.actionTypes.includes(proposal.type)) return false;
  const condition = rule.when;
  if (!condition) return true;
  if (condition.amountAbove !== undefined) {
    // Fails safe: an amount that is present but not a finite number cannot prove it is small.
    const amount = proposal.payload['amount'];
    if (amount === undefined) return false;
    if (typeof amount === 'number' && Number.isFinite(amount) && !(amount > condition.amountAbove)) return false;
  }
  if (condition.confidenceBelow !== undefined) {
    const confidence = confidenceOf(proposal);
    if (confidence === undefined || !(confidence < condition.confidenceBelow)) return false;
  }
  return true;
};

/** Deny overrides; nothing matched is a deny; an ALLOW below the auto-commit threshold waits for a human. */
export const evaluate = (
  proposal: Proposal,
  manifest: Manifest,
  policy: PolicyIdentity,
  state: TenantState,
  now: Date,
): Decision => {
  const base = {
    proposalId: proposal.proposalId,
    decidedAt: now.toISOString(),
    policy: { version: policy.version, hash: policy.hash },
    stateRead: { lockdown: state.lockdown },
  };
  if (state.lockdown) {
    return finish(base, 'DENY', ['Lockdown is active: no action may proceed'], [], {}, null);
  }
  const matched = manifest.rules.filter((rule) => ruleApplies(rule, proposal));
  if (matched.length === 0) {
    return finish(base, 'DENY', ['No rule of the active policy manifest allows this action'], [], {}, null);
  }
  const status = PRECEDENCE.find((effect) => matched.some((rule) => rule.effect === effect)) as DecisionStatus;
  const deciding = matched.filter((rule) => rule.effect === status);
  const reasons = deciding.map((rule) => rule.reason);
  const ruleIds = deciding.map((rule) => rule.id);

  if (status === 'ALLOW') {
    const constraints = Object.assign({}, ...deciding.map((rule) => rule.constraints ?? {}));
    const confidence = confidenceOf(proposal);
    const threshold = manifest.autoCommitThreshold;
    if (confidence === undefined) {
      return finish(base, 'REQUIRE_HUMAN', [`No confidence score given; auto-commit needs at least ${threshold}`], ruleIds, constraints, null);
    }
    if (confidence < threshold) {
      return finish(base, 'REQUIRE_HUMAN', [`Confidence ${confidence} is below auto-commit threshold ${threshold}`], ruleIds, constraints, null);
    }
    const comparison = confidence === threshold ? 'meets' : 'exceeds';
    return finish(base, 'ALLOW', [...reasons, `Confidence ${confidence} ${comparison} auto-commit threshold ${threshold}`], ruleIds, constraints, null);
  }
  if (status === 'HELD_FOR_VETO') {
    // Several veto rules: the longest window wins, so no rule's promise of time to veto is cut short.
    const windowSeconds = Math.max(...deciding.map((rule) => rule.vetoWindowSeconds ?? 0));
    const deadline = new Date(now.getTime() + windowSeconds * 1000).toISOString();
    return finish(base, status, reasons, ruleIds, {}, deadline);
  }
  return finish(base, status, reasons, ruleIds, {}, null);
};

const finish = (
  base: Pick<Decision, 'proposalId' | 'decidedAt' | 'policy' | 'stateRead'>,
  status: DecisionStatus,
  reasons: string[],
  matchedRules: string[],
  constraints: Record<string, unknown>,
  vetoDeadline: string | null,
): Decision => ({
  ...base,
  status,
  allowed: status === 'ALLOW',
  reasons,
  constraints,
  vetoDeadline,
  humanApprovalRequired: status === 'REQUIRE_HUMAN',
  matchedRules,
});
