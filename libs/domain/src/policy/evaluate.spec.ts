import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ACTION_TYPES, BUDGET_LEVELS, type Decision, DECISION_STATUSES, type Proposal } from '@halm/contracts';
import { compileManifest } from './compile-manifest';
import { DEFAULT_MANIFEST } from './default-manifest';
import { budgetKeys, evaluate, initialState, lockdownReasonFor, type TenantState } from './evaluate';
import type { BudgetDocument, CompiledManifest, ManifestDocument, RuleDocument } from './manifest';

interface PolicyCase {
  name: string;
  /** A file stem under cases/manifests, or "default". */
  manifest: string;
  proposal: Pick<Proposal, 'type' | 'payload' | 'context'> & Partial<Proposal>;
  state?: Partial<TenantState>;
  now: string;
  /** `null` for budgetCharges or budgetLevel means the decision has no such field. */
  expect: Partial<Record<ExpectedField, unknown>>;
}

const EXPECTED_FIELDS = ['status', 'allowed', 'reasons', 'matchedRules', 'constraints', 'vetoDeadline', 'humanApprovalRequired', 'stateRead', 'budgetCharges', 'budgetLevel'] as const;
type ExpectedField = (typeof EXPECTED_FIELDS)[number];
const OPTIONAL_FIELDS: readonly ExpectedField[] = ['budgetCharges', 'budgetLevel'];

const casesDirectory = join(__dirname, 'cases');
const manifestsDirectory = join(casesDirectory, 'manifests');

// A misspelt key would make a case assert nothing, so each file is checked before it runs.
const loadCases = (file: string): PolicyCase[] => {
  const cases = JSON.parse(readFileSync(join(casesDirectory, file), 'utf8')) as PolicyCase[];
  for (const policyCase of cases) {
    const unknownKeys = Object.keys(policyCase).filter((key) => !['name', 'manifest', 'proposal', 'state', 'now', 'expect'].includes(key));
    const unknownExpectations = Object.keys(policyCase.expect ?? {}).filter((key) => !(EXPECTED_FIELDS as readonly string[]).includes(key));
    if (unknownKeys.length > 0 || unknownExpectations.length > 0 || !policyCase.expect || !('status' in policyCase.expect)) {
      throw new Error(`${file}: case '${policyCase.name}' is malformed (unknown keys: ${[...unknownKeys, ...unknownExpectations].join(', ') || 'none'}; expect needs a status)`);
    }
  }
  return cases;
};

const compiledManifests = new Map<string, CompiledManifest>([['default', DEFAULT_MANIFEST]]);
const manifestNamed = (name: string): CompiledManifest => {
  const cached = compiledManifests.get(name);
  if (cached) return cached;
  const compiled = compileManifest(readFileSync(join(manifestsDirectory, `${name}.yaml`), 'utf8'));
  if (!compiled.ok) throw new Error(`cases/manifests/${name}.yaml does not compile: ${JSON.stringify(compiled.errors)}`);
  compiledManifests.set(name, compiled.manifest);
  return compiled.manifest;
};

const caseFiles = readdirSync(casesDirectory).filter((file) => file.endsWith('.json')).sort();
const allCases = caseFiles.flatMap((file) => loadCases(file));

const proposalOf = (partial: PolicyCase['proposal']): Proposal => ({
  proposalId: 'prop_test',
  tenantId: 'tenant-a',
  submittedAt: '2026-03-15T09:59:59.000Z',
  ...partial,
});

// Not structuredClone: in jest's sandbox its objects come from another realm, whose Object CEL does not take for a map.
const clone = <T>(value: T): T =>
  (Array.isArray(value)
    ? value.map(clone)
    : typeof value === 'object' && value !== null && !(value instanceof Date)
      ? Object.fromEntries(Object.entries(value).map(([key, element]) => [key, clone(element)]))
      : value) as T;

const stateOf = (partial: Partial<TenantState> = {}): TenantState => ({ ...initialState(), ...partial });

const decide = (policyCase: PolicyCase): Decision => {
  const manifest = manifestNamed(policyCase.manifest);
  return evaluate(proposalOf(policyCase.proposal), manifest, { version: 3, hash: manifest.hash }, stateOf(policyCase.state), new Date(policyCase.now));
};

describe('evaluate', () => {
  it('has policy cases to run', () => {
    expect(caseFiles.length).toBeGreaterThan(0);
  });

  describe.each(caseFiles)('cases in %s', (file) => {
    it.each(loadCases(file).map((policyCase) => [policyCase.name, policyCase] as const))('%s', (_name, policyCase) => {
      const manifest = manifestNamed(policyCase.manifest);

      const decision = decide(policyCase);

      const checked = Object.fromEntries(
        Object.keys(policyCase.expect).map((field) => {
          const value = decision[field as ExpectedField];
          return [field, value === undefined && OPTIONAL_FIELDS.includes(field as ExpectedField) ? null : value];
        }),
      );
      expect(checked).toEqual(policyCase.expect);
      expect(decision).toMatchObject({
        proposalId: 'prop_test',
        decidedAt: policyCase.now,
        policy: { version: 3, hash: manifest.hash },
        stateRead: { lockdown: policyCase.state?.lockdown ?? false },
      });
    });
  });

  describe('the cases', () => {
    it('produce every status and every budget level', () => {
      const decisions = allCases.map(decide);

      expect(new Set(decisions.map((decision) => decision.status))).toEqual(new Set(DECISION_STATUSES));
      expect(new Set(decisions.map((decision) => decision.budgetLevel).filter(Boolean))).toEqual(new Set(BUDGET_LEVELS));
    });

    it('use every manifest in cases/manifests', () => {
      const used = new Set(allCases.map((policyCase) => policyCase.manifest));
      const files = readdirSync(manifestsDirectory).map((file) => file.replace(/\.yaml$/, ''));

      expect(files.filter((file) => !used.has(file))).toEqual([]);
    });

    it('match a rule of every effect, with and without a condition, and a budget of every scope', () => {
      const decisions = allCases.map((policyCase) => [manifestNamed(policyCase.manifest).document, decide(policyCase)] as const);
      const decidingRules = decisions.flatMap(([document, decision]) => document.rules.filter((rule) => decision.matchedRules.includes(rule.id)));
      const charged = decisions.flatMap(([document, decision]) => document.budgets.filter((budget) => decision.budgetCharges?.some((charge) => charge.budgetId === budget.id)));

      for (const effect of DECISION_STATUSES) {
        expect(decidingRules.some((rule) => rule.effect === effect && rule.when !== undefined)).toBe(true);
        expect(decidingRules.some((rule) => rule.effect === effect && rule.when === undefined)).toBe(true);
      }
      expect(new Set(charged.map((budget) => budget.scope))).toEqual(new Set(['agent', 'session', 'tenant']));
    });
  });

  describe('the decision record', () => {
    const proposal = proposalOf({ type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, context: { confidenceScore: 0.92 } });
    const now = new Date('2026-03-15T10:00:00.000Z');

    it('records the policy version and hash it was given, the matched rules, the state read and decidedAt = now', () => {
      const policy = { version: 1, hash: DEFAULT_MANIFEST.hash };

      const decision = evaluate(proposal, DEFAULT_MANIFEST, policy, initialState(), now);

      expect(decision).toEqual({
        proposalId: 'prop_test',
        status: 'ALLOW',
        allowed: true,
        reasons: ['Action complies with active policy manifest', 'Confidence 0.92 exceeds auto-commit threshold 0.8'],
        constraints: {},
        vetoDeadline: null,
        humanApprovalRequired: false,
        decidedAt: '2026-03-15T10:00:00.000Z',
        policy,
        matchedRules: ['standard-actions'],
        stateRead: { lockdown: false, budgets: { 'daily-payments': { scopeKey: 'unknown', used: 0 } } },
        budgetCharges: [{ budgetId: 'daily-payments', scopeKey: 'unknown', amount: 120, windowSeconds: 86_400 }],
        budgetLevel: 'OK',
      });
    });

    it('records the lockdown it read when it denies for it', () => {
      const decision = evaluate(proposal, DEFAULT_MANIFEST, { version: 7, hash: 'h'.repeat(64) }, { lockdown: true, budgets: {} }, now);

      expect(decision).toEqual({
        proposalId: 'prop_test',
        status: 'DENY',
        allowed: false,
        reasons: ['Lockdown is active: no action may proceed'],
        constraints: {},
        vetoDeadline: null,
        humanApprovalRequired: false,
        decidedAt: '2026-03-15T10:00:00.000Z',
        policy: { version: 7, hash: 'h'.repeat(64) },
        matchedRules: [],
        stateRead: { lockdown: true },
      });
    });

    it('gives and records which lockdown denied it, when the state names it', () => {
      const lockdownReason = lockdownReasonFor('tenant', 'suspicious payments');

      const decision = evaluate(proposal, DEFAULT_MANIFEST, { version: 7, hash: 'h'.repeat(64) }, { lockdown: true, lockdownReason, budgets: {} }, now);

      expect(decision).toMatchObject({ status: 'DENY', allowed: false, reasons: ['Lockdown active (tenant): suspicious payments'], stateRead: { lockdown: true, lockdownReason } });
    });

    it('hands out constraints the caller may change without changing the manifest', () => {
      const manifest = manifestNamed('constraints');
      const webhook = proposalOf({ type: 'webhook:send', payload: {}, context: { confidenceScore: 0.9 } });

      const first = evaluate(webhook, manifest, { version: 1, hash: manifest.hash }, initialState(), now);
      first.constraints['maxRetries'] = 99;
      const second = evaluate(webhook, manifest, { version: 1, hash: manifest.hash }, initialState(), now);

      expect(second.constraints['maxRetries']).toBe(3);
    });
  });

  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
  ])('treats a confidence score of %s as none, so a human decides', (_name, confidenceScore) => {
    const proposal = proposalOf({ type: 'ledger:write', payload: { amount: 120 }, context: { confidenceScore } });

    const decision = evaluate(proposal, DEFAULT_MANIFEST, { version: 1, hash: DEFAULT_MANIFEST.hash }, initialState(), new Date('2026-03-15T10:00:00.000Z'));

    expect(decision).toMatchObject({ status: 'REQUIRE_HUMAN', allowed: false, reasons: ['No confidence score given; auto-commit needs at least 0.8'] });
  });

  it('denies when the recorded usage of a budget is not a number, rather than counting from zero', () => {
    const proposal = proposalOf({ type: 'ledger:write', payload: { amount: 120 }, context: { confidenceScore: 0.92, agentId: 'agent_xyz' } });

    const decision = evaluate(proposal, DEFAULT_MANIFEST, { version: 1, hash: DEFAULT_MANIFEST.hash }, { lockdown: false, budgets: { 'daily-payments': { used: NaN } } }, new Date('2026-03-15T10:00:00.000Z'));

    expect(decision).toMatchObject({
      status: 'DENY',
      reasons: ['Budget daily-payments could not count this action (its recorded usage is number NaN), so it counts as critical'],
      budgetLevel: 'CRITICAL',
    });
    expect(decision.budgetCharges).toBeUndefined();
  });

  it('decides an action type outside the manifest format by its "*" rules alone', () => {
    const proposal = proposalOf({ type: 'teleport:now' as Proposal['type'], payload: { amount: 1e9 }, context: { confidenceScore: 0.92 } });

    const decision = evaluate(proposal, DEFAULT_MANIFEST, { version: 1, hash: DEFAULT_MANIFEST.hash }, initialState(), new Date('2026-03-15T10:00:00.000Z'));

    expect(decision).toMatchObject({ status: 'ALLOW', matchedRules: ['standard-actions'], stateRead: { lockdown: false } });
  });

  describe('budgetKeys', () => {
    it('names the budget usages a proposal will read, with their scope keys and windows', () => {
      const manifest = manifestNamed('budgets');

      expect(budgetKeys(proposalOf({ type: 'ledger:write', payload: { amount: 5 }, context: { agentId: 'agent-1', sessionId: 'sess_abc' } }), manifest)).toEqual([
        { budgetId: 'agent-spend', scopeKey: 'agent-1', windowSeconds: 86_400 },
      ]);
      expect(budgetKeys(proposalOf({ type: 'voice:respond', payload: {}, context: { agentId: '' } }), manifest)).toEqual([
        { budgetId: 'session-utterances', scopeKey: 'unknown', windowSeconds: 3600 },
      ]);
      expect(budgetKeys(proposalOf({ type: 'webhook:send', payload: {}, context: {} }), manifest)).toEqual([{ budgetId: 'tenant-webhooks', scopeKey: 'tenant-a', windowSeconds: 604_800 }]);
      expect(budgetKeys(proposalOf({ type: 'task:create', payload: {}, context: {} }), manifest)).toEqual([]);
    });

    it('matches the budgets a decision reads and charges', () => {
      const proposal = proposalOf({ type: 'ledger:write', payload: { amount: 5 }, context: { confidenceScore: 0.9, agentId: 'agent-1' } });
      const decision = evaluate(proposal, DEFAULT_MANIFEST, { version: 1, hash: DEFAULT_MANIFEST.hash }, initialState(), new Date('2026-03-15T10:00:00.000Z'));

      expect(budgetKeys(proposal, DEFAULT_MANIFEST)).toEqual(decision.budgetCharges?.map(({ budgetId, scopeKey, windowSeconds }) => ({ budgetId, scopeKey, windowSeconds })));
    });
  });

  describe('laws', () => {
    const CONDITIONS = [
      'payload.amount > 100',
      'has(payload.amount) && payload.amount > 100',
      'context.confidenceScore < 0.5',
      'payload.flag',
      'true',
      'false',
      'state.lockdown',
      'now.getHours("UTC") < 12',
      'justification == ""',
      'has(context.agentId) && context.agentId == "agent-1"',
    ];
    const AMOUNTS = ['double(payload.amount)', '1.0', '1', 'payload.amount'];
    const actionTypesArbitrary = fc.oneof(fc.constant(['*'] as RuleDocument['actionTypes']), fc.uniqueArray(fc.constantFrom(...ACTION_TYPES), { minLength: 1, maxLength: 3 }));
    const ruleArbitrary = fc
      .record(
        {
          actionTypes: actionTypesArbitrary,
          effect: fc.constantFrom(...DECISION_STATUSES),
          when: fc.constantFrom(...CONDITIONS),
          reason: fc.string({ minLength: 1, maxLength: 20 }).filter((text) => text.trim() !== ''),
          vetoWindow: fc.constantFrom('30s', '15m', '1h', '2d'),
          constraints: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
          minConfidence: fc.double({ min: 0, max: 1, noNaN: true }),
        },
        { requiredKeys: ['actionTypes', 'effect', 'reason'] },
      )
      .map(({ vetoWindow, constraints, minConfidence, ...rule }) => ({
        ...rule,
        ...(rule.effect === 'HELD_FOR_VETO' ? { vetoWindow: vetoWindow ?? '1h' } : {}),
        ...(rule.effect === 'ALLOW' && constraints ? { constraints } : {}),
        ...(rule.effect === 'ALLOW' && minConfidence !== undefined ? { minConfidence } : {}),
      }));
    const budgetArbitrary = fc
      .record({
        actionTypes: actionTypesArbitrary,
        scope: fc.constantFrom('agent' as const, 'session' as const, 'tenant' as const),
        window: fc.constantFrom('1h', '24h', '7d'),
        amount: fc.constantFrom(...AMOUNTS),
        critical: fc.integer({ min: 0, max: 1000 }),
        warningShare: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
      })
      .map(({ warningShare, ...budget }) => ({ ...budget, ...(warningShare === null ? {} : { warning: budget.critical * warningShare }) }));
    const manifestArbitrary: fc.Arbitrary<CompiledManifest> = fc
      .record({
        autoCommitThreshold: fc.double({ min: 0, max: 1, noNaN: true }),
        rules: fc.array(ruleArbitrary, { maxLength: 6 }),
        budgets: fc.array(budgetArbitrary, { maxLength: 3 }),
      })
      .map(({ autoCommitThreshold, rules, budgets }) => {
        const document: ManifestDocument = {
          autoCommitThreshold,
          rules: rules.map((rule, index) => ({ id: `rule-${index}`, ...rule }) as RuleDocument),
          budgets: budgets.map((budget, index) => ({ id: `budget-${index}`, ...budget }) as BudgetDocument),
        };
        const compiled = compileManifest(document);
        if (!compiled.ok) throw new Error(`generated manifest does not compile: ${JSON.stringify(compiled.errors)}`);
        return compiled.manifest;
      });
    const proposalArbitrary: fc.Arbitrary<Proposal> = fc.record({
      proposalId: fc.uuid(),
      tenantId: fc.constant('tenant-a'),
      type: fc.constantFrom(...ACTION_TYPES),
      payload: fc.record(
        {
          amount: fc.oneof(fc.integer({ min: 0, max: 30_000 }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 6 }), fc.constant(null)),
          flag: fc.oneof(fc.boolean(), fc.string({ maxLength: 3 })),
        },
        { requiredKeys: [] },
      ),
      justification: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
      context: fc.record(
        {
          confidenceScore: fc.oneof({ weight: 9, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) }),
          agentId: fc.constantFrom('agent-1', 'agent-2', ''),
          sessionId: fc.constantFrom('sess_a', 'sess_b'),
        },
        { requiredKeys: [] },
      ),
      submittedAt: fc.constant('2026-03-15T09:59:59.000Z'),
    });
    const stateArbitrary: fc.Arbitrary<TenantState> = fc.record({
      lockdown: fc.boolean(),
      budgets: fc.dictionary(fc.constantFrom('budget-0', 'budget-1', 'budget-2'), fc.record({ used: fc.double({ min: 0, max: 2000, noNaN: true }) })),
    });
    const nowArbitrary = fc.date({ min: new Date('2020-01-01T00:00:00.000Z'), max: new Date('2040-01-01T00:00:00.000Z'), noInvalidDate: true });
    const policyOf = (manifest: CompiledManifest) => ({ version: 1, hash: manifest.hash });

    it('decides the same for the same inputs', () => {
      fc.assert(
        fc.property(proposalArbitrary, manifestArbitrary, stateArbitrary, nowArbitrary, (proposal, manifest, state, now) => {
          const first = evaluate(proposal, manifest, policyOf(manifest), state, now);
          const recompiled = compileManifest(clone(manifest.document));
          if (!recompiled.ok) throw new Error('a compiled document must compile again');
          const second = evaluate(clone(proposal), recompiled.manifest, policyOf(manifest), clone(state), new Date(now.getTime()));
          expect(second).toEqual(first);
        }),
      );
    });

    it('answers allowed exactly when the status is ALLOW, asks for a human exactly on REQUIRE_HUMAN, and sets a deadline exactly on HELD_FOR_VETO', () => {
      fc.assert(
        fc.property(proposalArbitrary, manifestArbitrary, stateArbitrary, nowArbitrary, (proposal, manifest, state, now) => {
          const decision = evaluate(proposal, manifest, policyOf(manifest), state, now);
          expect(decision.allowed).toBe(decision.status === 'ALLOW');
          expect(decision.humanApprovalRequired).toBe(decision.status === 'REQUIRE_HUMAN');
          expect(decision.vetoDeadline === null).toBe(decision.status !== 'HELD_FOR_VETO');
        }),
      );
    });

    it('never allows without a finite confidence score at or above the lowest threshold the manifest names', () => {
      fc.assert(
        fc.property(proposalArbitrary, manifestArbitrary, stateArbitrary, nowArbitrary, (proposal, manifest, state, now) => {
          const decision = evaluate(proposal, manifest, policyOf(manifest), state, now);
          const thresholds = [manifest.autoCommitThreshold, ...manifest.document.rules.flatMap((rule) => (rule.minConfidence === undefined ? [] : [rule.minConfidence]))];
          if (decision.allowed) {
            expect(Number.isFinite(proposal.context.confidenceScore)).toBe(true);
            expect(proposal.context.confidenceScore).toBeGreaterThanOrEqual(Math.min(...thresholds));
          }
        }),
      );
    });

    it('denies whenever an unconditional deny rule covers the action type, wherever it stands in the manifest', () => {
      fc.assert(
        fc.property(proposalArbitrary, manifestArbitrary, fc.nat(), stateArbitrary, nowArbitrary, (proposal, manifest, position, state, now) => {
          const rules = [...manifest.document.rules];
          rules.splice(position % (rules.length + 1), 0, { id: 'deny-it', actionTypes: [proposal.type], effect: 'DENY', reason: 'Denied' });
          const withDeny = compileManifest({ ...manifest.document, rules });
          if (!withDeny.ok) throw new Error(JSON.stringify(withDeny.errors));

          const decision = evaluate(proposal, withDeny.manifest, policyOf(withDeny.manifest), state, now);

          expect(decision.status).toBe('DENY');
          expect(decision.allowed).toBe(false);
          expect(decision.budgetCharges).toBeUndefined();
        }),
      );
    });

    it('allows nothing during a lockdown', () => {
      fc.assert(
        fc.property(proposalArbitrary, manifestArbitrary, stateArbitrary, nowArbitrary, (proposal, manifest, state, now) => {
          const decision = evaluate(proposal, manifest, policyOf(manifest), { ...state, lockdown: true }, now);
          expect(decision).toMatchObject({ status: 'DENY', allowed: false, matchedRules: [], stateRead: { lockdown: true } });
          expect(decision.budgetCharges).toBeUndefined();
        }),
      );
    });

    it('charges budgets only when it does not deny, and never past their critical level', () => {
      fc.assert(
        fc.property(proposalArbitrary, manifestArbitrary, stateArbitrary, nowArbitrary, (proposal, manifest, state, now) => {
          const decision = evaluate(proposal, manifest, policyOf(manifest), state, now);
          if (decision.status === 'DENY') expect(decision.budgetCharges).toBeUndefined();
          for (const charge of decision.budgetCharges ?? []) {
            const budget = manifest.document.budgets.find((candidate) => candidate.id === charge.budgetId) as BudgetDocument;
            expect((state.budgets[charge.budgetId]?.used ?? 0) + charge.amount).toBeLessThanOrEqual(budget.critical);
          }
        }),
      );
    });

    it('only ever names rules and budgets of the manifest that cover the action type', () => {
      fc.assert(
        fc.property(proposalArbitrary, manifestArbitrary, stateArbitrary, nowArbitrary, (proposal, manifest, state, now) => {
          const decision = evaluate(proposal, manifest, policyOf(manifest), state, now);
          const covering = [...manifest.document.rules, ...manifest.document.budgets]
            .filter((entry) => entry.actionTypes.includes('*') || entry.actionTypes.includes(proposal.type))
            .map((entry) => entry.id);
          decision.matchedRules.forEach((id) => expect(covering).toContain(id));
        }),
      );
    });
  });
});
