import type { ActionType, DecisionStatus } from '@halm/contracts';
import { canonicalize } from '../ledger/canonical-json';
import { sha256Hex } from '../ledger/hash-chain';

/**
 * The walking skeleton's deliberately small manifest format: rules per action type with
 * numeric conditions. The full CEL-based manifest replaces it; the evaluation laws stay
 * (deny overrides, nothing matched is a deny, every deciding rule gives its reason).
 */
export interface Manifest {
  version: number;
  /** Confidence at or above which an agent's action may commit without a human. */
  autoCommitThreshold: number;
  rules: ManifestRule[];
}

export interface ManifestRule {
  id: string;
  actionTypes: readonly ActionType[] | '*';
  effect: DecisionStatus;
  when?: RuleCondition;
  reason: string;
  /** For HELD_FOR_VETO: how long approvers have to veto. */
  vetoWindowSeconds?: number;
  constraints?: Record<string, unknown>;
}

export interface RuleCondition {
  /** Matches when `payload.amount` is a number greater than this. */
  amountAbove?: number;
  /** Matches when the confidence score is given and lower than this. */
  confidenceBelow?: number;
}

export const manifestHash = (manifest: Manifest): string => sha256Hex(canonicalize(manifest));

/** What every new tenant gets until it publishes its own manifest. */
export const DEFAULT_MANIFEST: Manifest = {
  version: 1,
  autoCommitThreshold: 0.8,
  rules: [
    {
      id: 'deny-very-low-confidence',
      actionTypes: '*',
      effect: 'DENY',
      when: { confidenceBelow: 0.3 },
      reason: 'Confidence is below the floor of 0.3 for any action',
    },
    {
      id: 'large-payment-needs-human',
      actionTypes: ['ledger:write'],
      effect: 'REQUIRE_HUMAN',
      when: { amountAbove: 10_000 },
      reason: 'Amount above 10000 needs a human approver',
    },
    {
      id: 'policy-change-needs-human',
      actionTypes: ['policy:update'],
      effect: 'REQUIRE_HUMAN',
      reason: 'Policy changes need a human approver',
    },
    {
      id: 'recalibration-veto-window',
      actionTypes: ['recalibrate:propose'],
      effect: 'HELD_FOR_VETO',
      vetoWindowSeconds: 3600,
      reason: 'Model recalibrations wait one hour for a veto',
    },
    {
      id: 'standard-actions',
      actionTypes: '*',
      effect: 'ALLOW',
      reason: 'Action complies with active policy manifest',
    },
  ],
};
