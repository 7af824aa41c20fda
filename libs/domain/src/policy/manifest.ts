import type { ActionType, DecisionStatus } from '@halm/contracts';
import { canonicalize } from '../ledger/canonical-json';
import { sha256Hex } from '../ledger/hash-chain';
import type { CompiledExpression } from './cel-environment';

export const BUDGET_SCOPES = ['agent', 'session', 'tenant'] as const;
/** Whose usage a budget counts: the proposal's `context.agentId`, its `context.sessionId`, or the whole tenant. */
export type BudgetScope = (typeof BUDGET_SCOPES)[number];

/**
 * A policy manifest as its author wrote it, normalized: only known fields, `budgets` always
 * present, no `version` (the server numbers published manifests; the number is not content).
 * This is what is stored, hashed, diffed and shown.
 */
export interface ManifestDocument {
  description?: string;
  /** Confidence at or above which an ALLOW may commit without a human. */
  autoCommitThreshold: number;
  rules: RuleDocument[];
  budgets: BudgetDocument[];
}

export interface RuleDocument {
  id: string;
  /** The action types the rule covers, or `['*']` for all of them. */
  actionTypes: (ActionType | '*')[];
  effect: DecisionStatus;
  /** A CEL expression; the rule matches when it is true. Absent: the rule always matches. */
  when?: string;
  reason: string;
  /** HELD_FOR_VETO only: how long approvers have to veto, e.g. `1h`. */
  vetoWindow?: string;
  /** ALLOW only: handed back to the agent with the decision. */
  constraints?: Record<string, unknown>;
  /** ALLOW only: replaces `autoCommitThreshold` for actions this rule allows. */
  minConfidence?: number;
}

export interface BudgetDocument {
  id: string;
  actionTypes: (ActionType | '*')[];
  scope: BudgetScope;
  /** The sliding window usage is summed over, e.g. `24h`. */
  window: string;
  /** A CEL expression giving the number this action adds to the budget. */
  amount: string;
  /** Reaching it still lets the rules decide, with a reason that says so. */
  warning?: number;
  /** Exceeding it denies. */
  critical: number;
}

export interface CompiledRule {
  id: string;
  effect: DecisionStatus;
  reason: string;
  condition: CompiledExpression | undefined;
  vetoWindowSeconds: number;
  constraints: Readonly<Record<string, unknown>> | undefined;
  minConfidence: number | undefined;
}

export interface CompiledBudget {
  id: string;
  scope: BudgetScope;
  windowSeconds: number;
  amount: CompiledExpression;
  warning: number | undefined;
  critical: number;
}

/** The rules and budgets that cover one action type, grouped the way evaluation visits them. */
export interface ActionPlan {
  deny: readonly CompiledRule[];
  requireHuman: readonly CompiledRule[];
  heldForVeto: readonly CompiledRule[];
  allow: readonly CompiledRule[];
  budgets: readonly CompiledBudget[];
  /** Whether any of them has an expression, so evaluation needs the CEL variables at all. */
  usesCel: boolean;
}

/** A manifest checked and compiled once per version: its CEL is parsed and type-checked, its rules indexed by action type. */
export interface CompiledManifest {
  /** The number the server gave it on publish; absent for a draft. */
  version: number | undefined;
  document: ManifestDocument;
  /** `manifestHash(document)`. */
  hash: string;
  autoCommitThreshold: number;
  plans: ReadonlyMap<string, ActionPlan>;
  /** For an action type no manifest can name: only `*` rules and budgets cover it. */
  otherPlan: ActionPlan;
  /** Whether any expression reads `state`; if none does, evaluation skips building it. */
  readsState: boolean;
}

/** SHA-256 (hex) of the RFC 8785 canonical JSON of the normalized manifest: key order and formatting of the source do not count. */
export const manifestHash = (manifest: ManifestDocument | CompiledManifest): string => {
  const document = 'document' in manifest ? manifest.document : manifest;
  // A document read straight from an author's JSON may still carry a version; the hash covers content only.
  const { version: _version, ...content } = document as ManifestDocument & { version?: unknown };
  return sha256Hex(canonicalize(content));
};

const DURATION_PATTERN = /^(?:\d+[smhd])+$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
/** Longer windows than a (leap) year are almost certainly a typo, and keep every deadline a valid date. */
export const MAX_DURATION_SECONDS = 366 * 86_400;

/** Seconds in a duration such as `90s`, `15m`, `1h30m`, `7d`; undefined when it is not one. */
export const parseDuration = (text: string): number | undefined => {
  if (!DURATION_PATTERN.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhd])/g)) seconds += Number(amount) * (UNIT_SECONDS[unit as string] as number);
  return seconds;
};
