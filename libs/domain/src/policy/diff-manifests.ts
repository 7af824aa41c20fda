import { canonicalize } from '../ledger/canonical-json';
import { BUDGET_FIELDS, RULE_FIELDS } from './compile-manifest';
import type { BudgetDocument, CompiledManifest, ManifestDocument, RuleDocument } from './manifest';

/** One field of a rule or budget, before and after; a side is absent when the field was. */
export interface FieldChange {
  field: string;
  before?: unknown;
  after?: unknown;
}

/** One difference between two manifests, for "diff two versions". */
export type ManifestChange =
  | { kind: 'description-changed'; before?: string; after?: string }
  | { kind: 'threshold-changed'; before: number; after: number }
  | { kind: 'rule-added'; id: string; rule: RuleDocument }
  | { kind: 'rule-removed'; id: string; rule: RuleDocument }
  | { kind: 'rule-changed'; id: string; fields: FieldChange[] }
  /** Order decides the order of reasons and which rule wins a clash of constraint keys. */
  | { kind: 'rules-reordered'; before: string[]; after: string[] }
  | { kind: 'budget-added'; id: string; budget: BudgetDocument }
  | { kind: 'budget-removed'; id: string; budget: BudgetDocument }
  | { kind: 'budget-changed'; id: string; fields: FieldChange[] };

const documentOf = (manifest: ManifestDocument | CompiledManifest): ManifestDocument => ('document' in manifest ? manifest.document : manifest);

const same = (a: unknown, b: unknown): boolean => (a === undefined || b === undefined ? a === b : canonicalize(a) === canonicalize(b));

const fieldChanges = <T extends object>(before: T, after: T, fields: readonly string[]): FieldChange[] => {
  const changes: FieldChange[] = [];
  for (const field of fields) {
    const was = (before as Record<string, unknown>)[field];
    const is = (after as Record<string, unknown>)[field];
    if (same(was, is)) continue;
    const change: FieldChange = { field };
    if (was !== undefined) change.before = was;
    if (is !== undefined) change.after = is;
    changes.push(change);
  }
  return changes;
};

/** Compares entries by id: removed and changed in the old order, then added in the new order. */
const diffEntries = <T extends { id: string }>(
  before: readonly T[],
  after: readonly T[],
  fields: readonly string[],
  removed: (entry: T) => ManifestChange,
  changed: (id: string, fields: FieldChange[]) => ManifestChange,
  added: (entry: T) => ManifestChange,
): ManifestChange[] => {
  const afterById = new Map(after.map((entry) => [entry.id, entry]));
  const beforeIds = new Set(before.map((entry) => entry.id));
  const changes: ManifestChange[] = [];
  for (const entry of before) {
    const counterpart = afterById.get(entry.id);
    if (counterpart === undefined) {
      changes.push(removed(entry));
      continue;
    }
    const fieldsChanged = fieldChanges(entry, counterpart, fields);
    if (fieldsChanged.length > 0) changes.push(changed(entry.id, fieldsChanged));
  }
  for (const entry of after) if (!beforeIds.has(entry.id)) changes.push(added(entry));
  return changes;
};

/** What changed from `before` to `after`: an empty list when they are the same policy. */
export const diffManifests = (before: ManifestDocument | CompiledManifest, after: ManifestDocument | CompiledManifest): ManifestChange[] => {
  const a = documentOf(before);
  const b = documentOf(after);
  const changes: ManifestChange[] = [];
  if (a.description !== b.description) {
    const change: ManifestChange = { kind: 'description-changed' };
    if (a.description !== undefined) change.before = a.description;
    if (b.description !== undefined) change.after = b.description;
    changes.push(change);
  }
  if (a.autoCommitThreshold !== b.autoCommitThreshold) changes.push({ kind: 'threshold-changed', before: a.autoCommitThreshold, after: b.autoCommitThreshold });
  changes.push(
    ...diffEntries(
      a.rules,
      b.rules,
      RULE_FIELDS,
      (rule) => ({ kind: 'rule-removed', id: rule.id, rule }),
      (id, fields) => ({ kind: 'rule-changed', id, fields }),
      (rule) => ({ kind: 'rule-added', id: rule.id, rule }),
    ),
  );
  const kept = (rules: readonly RuleDocument[], others: readonly RuleDocument[]) => rules.map((rule) => rule.id).filter((id) => others.some((other) => other.id === id));
  const keptBefore = kept(a.rules, b.rules);
  const keptAfter = kept(b.rules, a.rules);
  if (keptBefore.some((id, index) => keptAfter[index] !== id)) changes.push({ kind: 'rules-reordered', before: keptBefore, after: keptAfter });
  changes.push(
    ...diffEntries(
      a.budgets,
      b.budgets,
      BUDGET_FIELDS,
      (budget) => ({ kind: 'budget-removed', id: budget.id, budget }),
      (id, fields) => ({ kind: 'budget-changed', id, fields }),
      (budget) => ({ kind: 'budget-added', id: budget.id, budget }),
    ),
  );
  return changes;
};
