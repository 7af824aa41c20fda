import type { ActionType } from './action-types';

export const DECISION_STATUSES = ['ALLOW', 'DENY', 'REQUIRE_HUMAN', 'HELD_FOR_VETO'] as const;
export type DecisionStatus = (typeof DECISION_STATUSES)[number];

export interface ProposalContext {
  confidenceScore?: number;
  sessionId?: string;
  agentId?: string;
}

/** What an agent asked for, named and stamped by the gateway. */
export interface Proposal {
  proposalId: string;
  tenantId: string;
  type: ActionType;
  payload: Record<string, unknown>;
  justification?: string;
  context: ProposalContext;
  submittedAt: string;
}

/** How close the budgets this decision counts against are to their limits: the worst of them. */
export const BUDGET_LEVELS = ['OK', 'WARNING', 'CRITICAL'] as const;
export type BudgetLevel = (typeof BUDGET_LEVELS)[number];

/** What a decision adds to one budget: the shell reserves these atomically with recording the decision. */
export interface BudgetCharge {
  budgetId: string;
  /** Whose usage it counts against: the agent id, session id or tenant id, by the budget's scope ('unknown' when absent). */
  scopeKey: string;
  amount: number;
  windowSeconds: number;
}

export interface PolicyReference {
  version: number;
  hash: string;
}

/** The evaluator's answer, with everything a replay needs to reproduce it. */
export interface Decision {
  proposalId: string;
  status: DecisionStatus;
  allowed: boolean;
  reasons: string[];
  constraints: Record<string, unknown>;
  vetoDeadline: string | null;
  humanApprovalRequired: boolean;
  decidedAt: string;
  policy: PolicyReference;
  matchedRules: string[];
  stateRead: Record<string, unknown>;
  /** Present when budgets count this action and it is not denied: what to reserve in each. */
  budgetCharges?: BudgetCharge[];
  /** Present when at least one budget counts this action. */
  budgetLevel?: BudgetLevel;
}

/** The response body of `POST /api/kernel/authorize`, field for field as the quickstart documents it. */
export type AuthorizeResponse = Pick<
  Decision,
  'proposalId' | 'status' | 'allowed' | 'reasons' | 'constraints' | 'vetoDeadline' | 'humanApprovalRequired' | 'decidedAt'
> & {
  /** Only when the action may execute now: the signed, single-use token the execute call needs. */
  executionToken?: string;
};
