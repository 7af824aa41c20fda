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
}

/** The response body of `POST /api/kernel/authorize`, field for field as the quickstart documents it. */
export interface AuthorizeResponse {
  proposalId: string;
  status: DecisionStatus;
  allowed: boolean;
  reasons: string[];
  constraints: Record<string, unknown>;
  vetoDeadline: string | null;
  humanApprovalRequired: boolean;
  decidedAt: string;
}
