export * from './ledger/canonical-json';
export * from './ledger/hash-chain';
export * from './proposals/proposal-lifecycle';
export * from './projections/proposal-row';
export * from './tenant/tenant-ledger';
export * from './tokens/execution-token';
export { type ManifestCompilation, type ManifestError, MANIFEST_LIMITS, compileManifest } from './policy/compile-manifest';
export { DEFAULT_MANIFEST, DEFAULT_MANIFEST_SOURCE } from './policy/default-manifest';
export { type FieldChange, type ManifestChange, diffManifests } from './policy/diff-manifests';
export {
  type BudgetKey,
  LOCKDOWN_REASON,
  NOTHING_MATCHED_REASON,
  type PolicyIdentity,
  type TenantState,
  budgetKeys,
  evaluate,
  initialState,
  lockdownReasonFor,
} from './policy/evaluate';
export {
  type ActionPlan,
  BUDGET_SCOPES,
  type BudgetDocument,
  type BudgetScope,
  type CompiledBudget,
  type CompiledManifest,
  type CompiledRule,
  MAX_DURATION_SECONDS,
  type ManifestDocument,
  type RuleDocument,
  manifestHash,
  parseDuration,
} from './policy/manifest';
export * from './ledger/merkle-tree';
export * from './ledger/merkle-verify';
export * from './ledger/checkpoint';
export * from './executions/execution-view';
export * from './ledger/ledger-export';
export * from './ledger/export-verification';
export { type ReplayDifference, jsonDifferences, sameJson } from './replay/json-differences';
export {
  type DecisionReplayResult,
  type HeightRange,
  REPLAY_VERDICTS,
  type ReplayReport,
  type ReplaySummary,
  type ReplayVerdict,
  DecisionReplay,
  replayDecisions,
} from './replay/decision-replay';
export { type WhatIfChange, type WhatIfOutcome, type WhatIfReport, WhatIfReplay, whatIf } from './replay/what-if-replay';
export { type KernelReading, type SimulatedRequest, SimulatedKernel } from './replay/simulated-kernel';
export * from './integrity/invariants';
export * from './integrity/integrity-state';
export * from './integrity/check-integrity';
