import { compileManifest } from './compile-manifest';
import { DEFAULT_MANIFEST } from './default-manifest';
import { diffManifests } from './diff-manifests';
import type { CompiledManifest, ManifestDocument } from './manifest';

const compile = (source: string | object): CompiledManifest => {
  const compiled = compileManifest(source);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.manifest;
};

const edit = (change: (document: ManifestDocument) => void): CompiledManifest => {
  const document = JSON.parse(JSON.stringify(DEFAULT_MANIFEST.document)) as ManifestDocument;
  change(document);
  return compile(document);
};

describe('diffManifests', () => {
  it('finds no change between a manifest and itself, whatever the key order or version', () => {
    const reordered = compile({ version: 2, budgets: DEFAULT_MANIFEST.document.budgets, rules: DEFAULT_MANIFEST.document.rules, autoCommitThreshold: 0.8, description: DEFAULT_MANIFEST.document.description });

    expect(diffManifests(DEFAULT_MANIFEST, DEFAULT_MANIFEST)).toEqual([]);
    expect(diffManifests(DEFAULT_MANIFEST, reordered)).toEqual([]);
  });

  it('reports a changed threshold and description', () => {
    const after = edit((document) => {
      document.autoCommitThreshold = 0.9;
      delete document.description;
    });

    expect(diffManifests(DEFAULT_MANIFEST, after)).toEqual([
      { kind: 'description-changed', before: 'Default policy for new tenants' },
      { kind: 'threshold-changed', before: 0.8, after: 0.9 },
    ]);
  });

  it('reports the fields of a changed rule, with a field that appeared and one that went', () => {
    const after = edit((document) => {
      const rule = document.rules.find((candidate) => candidate.id === 'large-payment-needs-human')!;
      rule.when = 'payload.amount > 5000';
      rule.reason = 'Amount above 5000 needs a human approver';
      const floor = document.rules.find((candidate) => candidate.id === 'deny-very-low-confidence')!;
      delete floor.when;
      const standard = document.rules.find((candidate) => candidate.id === 'standard-actions')!;
      standard.constraints = { maxRetries: 3 };
    });

    expect(diffManifests(DEFAULT_MANIFEST, after)).toEqual([
      { kind: 'rule-changed', id: 'deny-very-low-confidence', fields: [{ field: 'when', before: 'has(context.confidenceScore) && context.confidenceScore < 0.3' }] },
      {
        kind: 'rule-changed',
        id: 'large-payment-needs-human',
        fields: [
          { field: 'when', before: 'payload.amount > 10000', after: 'payload.amount > 5000' },
          { field: 'reason', before: 'Amount above 10000 needs a human approver', after: 'Amount above 5000 needs a human approver' },
        ],
      },
      { kind: 'rule-changed', id: 'standard-actions', fields: [{ field: 'constraints', after: { maxRetries: 3 } }] },
    ]);
  });

  it('reports added and removed rules with their content', () => {
    const added = { id: 'no-webhooks', actionTypes: ['webhook:send' as const], effect: 'DENY' as const, reason: 'Webhooks are off' };
    const after = edit((document) => {
      document.rules = document.rules.filter((rule) => rule.id !== 'policy-change-needs-human');
      document.rules.push(added);
    });

    expect(diffManifests(DEFAULT_MANIFEST, after)).toEqual([
      { kind: 'rule-removed', id: 'policy-change-needs-human', rule: DEFAULT_MANIFEST.document.rules.find((rule) => rule.id === 'policy-change-needs-human') },
      { kind: 'rule-added', id: 'no-webhooks', rule: added },
    ]);
  });

  it('reports rules that only moved, since order decides the order of reasons and constraint merging', () => {
    const after = edit((document) => {
      document.rules.reverse();
    });
    const ids = DEFAULT_MANIFEST.document.rules.map((rule) => rule.id);

    expect(diffManifests(DEFAULT_MANIFEST, after)).toEqual([{ kind: 'rules-reordered', before: ids, after: [...ids].reverse() }]);
  });

  it('does not call a removal a reordering', () => {
    const after = edit((document) => {
      document.rules.splice(1, 1);
    });

    expect(diffManifests(DEFAULT_MANIFEST, after).map((change) => change.kind)).toEqual(['rule-removed']);
  });

  it('reports added, removed and changed budgets', () => {
    const tenantWebhooks = { id: 'tenant-webhooks', actionTypes: ['webhook:send' as const], scope: 'tenant' as const, window: '1h', amount: '1.0', critical: 500 };
    const changed = edit((document) => {
      document.budgets[0]!.critical = 50_000;
      document.budgets[0]!.scope = 'tenant';
      delete document.budgets[0]!.warning;
      document.budgets.push(tenantWebhooks);
    });
    const removed = edit((document) => {
      document.budgets = [];
    });

    expect(diffManifests(DEFAULT_MANIFEST, changed)).toEqual([
      {
        kind: 'budget-changed',
        id: 'daily-payments',
        fields: [
          { field: 'scope', before: 'agent', after: 'tenant' },
          { field: 'warning', before: 75_000 },
          { field: 'critical', before: 100_000, after: 50_000 },
        ],
      },
      { kind: 'budget-added', id: 'tenant-webhooks', budget: tenantWebhooks },
    ]);
    expect(diffManifests(DEFAULT_MANIFEST, removed)).toEqual([{ kind: 'budget-removed', id: 'daily-payments', budget: DEFAULT_MANIFEST.document.budgets[0] }]);
  });

  it('sees no change in a constraint written with another key order', () => {
    const before = compile({ autoCommitThreshold: 0.5, rules: [{ id: 'a', actionTypes: ['*'], effect: 'ALLOW', reason: 'r', constraints: { x: 1, y: { p: 1, q: 2 } } }] });
    const after = compile({ autoCommitThreshold: 0.5, rules: [{ id: 'a', actionTypes: ['*'], effect: 'ALLOW', reason: 'r', constraints: { y: { q: 2, p: 1 }, x: 1 } }] });

    expect(diffManifests(before, after)).toEqual([]);
  });
});
