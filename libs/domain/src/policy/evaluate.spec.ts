import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ACTION_TYPES, type Decision, type DecisionStatus, DECISION_STATUSES, type Proposal } from '@halm/contracts';
import { evaluate, initialState, type TenantState } from './evaluate';
import { DEFAULT_MANIFEST, type Manifest, manifestHash, type ManifestRule } from './manifest';

interface PolicyCase {
  name: string;
  manifest: 'default' | Manifest;
  proposal: Pick<Proposal, 'type' | 'payload' | 'context'> & Partial<Proposal>;
  state?: TenantState;
  now: string;
  expect: Partial<Pick<Decision, ExpectedField>>;
}

const EXPECTED_FIELDS = ['status', 'allowed', 'reasons', 'matchedRules', 'constraints', 'vetoDeadline', 'humanApprovalRequired'] as const;
type ExpectedField = (typeof EXPECTED_FIELDS)[number];

const casesDirectory = join(__dirname, 'cases');

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

const caseFiles = readdirSync(casesDirectory).filter((file) => file.endsWith('.json')).sort();

const proposalOf = (partial: PolicyCase['proposal']): Proposal => ({
  proposalId: 'prop_test',
  tenantId: 'tenant-a',
  submittedAt: '2026-03-15T09:59:59.000Z',
  ...partial,
});

describe('evaluate', () => {
  it('has policy cases to run', () => {
    expect(caseFiles.length).toBeGreaterThan(0);
  });

  describe.each(caseFiles)('cases in %s', (file) => {
    it.each(loadCases(file).map((policyCase) => [policyCase.name, policyCase] as const))('%s', (_name, policyCase) => {
      const manifest = policyCase.manifest === 'default' ? DEFAULT_MANIFEST : policyCase.manifest;
      const policy = { version: manifest.version, hash: manifestHash(manifest) };
      const state = policyCase.state ?? initialState();
      const proposal = proposalOf(policyCase.proposal);

      const decision = evaluate(proposal, manifest, policy, state, new Date(policyCase.now));

      const checked = Object.fromEntries(Object.keys(policyCase.expect).map((field) => [field, decision[field as ExpectedField]]));
      expect(checked).toEqual(policyCase.expect);
      expect(decision).toMatchObject({
        proposalId: proposal.proposalId,
        decidedAt: policyCase.now,
        policy,
        stateRead: { lockdown: state.lockdown },
      });
    });
  });

  describe('the decision record', () => {
    const proposal = proposalOf({ type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, context: { confidenceScore: 0.92 } });
    const now = new Date('2026-03-15T10:00:00.000Z');

    it('records the policy version and hash it was given, the matched rules, the state read and decidedAt = now', () => {
      const policy = { version: DEFAULT_MANIFEST.version, hash: manifestHash(DEFAULT_MANIFEST) };

      const decision = evaluate(proposal, DEFAULT_MANIFEST, policy, { lockdown: false }, now);

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
        stateRead: { lockdown: false },
      });
    });

    it('records the lockdown it read when it denies for it', () => {
      const decision = evaluate(proposal, DEFAULT_MANIFEST, { version: 7, hash: 'h'.repeat(64) }, { lockdown: true }, now);

      expect(decision).toMatchObject({ status: 'DENY', policy: { version: 7, hash: 'h'.repeat(64) }, stateRead: { lockdown: true } });
    });

    it('gives the default manifest a stable hash that changes with any rule', () => {
      const changed: Manifest = { ...DEFAULT_MANIFEST, autoCommitThreshold: 0.81 };

      expect(manifestHash(structuredClone(DEFAULT_MANIFEST))).toBe(manifestHash(DEFAULT_MANIFEST));
      expect(manifestHash(DEFAULT_MANIFEST)).toMatch(/^[0-9a-f]{64}$/);
      expect(manifestHash(changed)).not.toBe(manifestHash(DEFAULT_MANIFEST));
    });
  });

  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
  ])('treats a confidence score of %s as none, so a human decides', (_name, confidenceScore) => {
    const proposal = proposalOf({ type: 'ledger:write', payload: { amount: 120 }, context: { confidenceScore } });

    const decision = evaluate(proposal, DEFAULT_MANIFEST, { version: 1, hash: manifestHash(DEFAULT_MANIFEST) }, initialState(), new Date('2026-03-15T10:00:00.000Z'));

    expect(decision).toMatchObject({ status: 'REQUIRE_HUMAN', allowed: false, reasons: ['No confidence score given; auto-commit needs at least 0.8'] });
  });

  describe('laws', () => {
    const statusArbitrary = fc.constantFrom<DecisionStatus>(...DECISION_STATUSES);
    const actionTypeArbitrary = fc.constantFrom(...ACTION_TYPES);
    const ruleArbitrary: fc.Arbitrary<ManifestRule> = fc.record(
      {
        id: fc.stringMatching(/^[a-z-]{1,12}$/),
        actionTypes: fc.oneof(fc.constant('*' as const), fc.uniqueArray(actionTypeArbitrary, { minLength: 1, maxLength: 3 })),
        effect: statusArbitrary,
        when: fc.record(
          { amountAbove: fc.integer({ min: 0, max: 20_000 }), confidenceBelow: fc.double({ min: 0, max: 1, noNaN: true }) },
          { requiredKeys: [] },
        ),
        reason: fc.string({ maxLength: 20 }),
        vetoWindowSeconds: fc.integer({ min: 0, max: 86_400 }),
        constraints: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
      },
      { requiredKeys: ['id', 'actionTypes', 'effect', 'reason'] },
    );
    const manifestArbitrary: fc.Arbitrary<Manifest> = fc.record({
      version: fc.integer({ min: 1, max: 100 }),
      autoCommitThreshold: fc.double({ min: 0, max: 1, noNaN: true }),
      rules: fc.array(ruleArbitrary, { maxLength: 6 }),
    });
    const proposalArbitrary: fc.Arbitrary<Proposal> = fc.record({
      proposalId: fc.uuid(),
      tenantId: fc.constant('tenant-a'),
      type: actionTypeArbitrary,
      payload: fc.record(
        { amount: fc.oneof(fc.integer({ min: 0, max: 30_000 }), fc.double({ noNaN: true }), fc.string({ maxLength: 6 }), fc.constant(null)) },
        { requiredKeys: [] },
      ),
      context: fc.record(
        { confidenceScore: fc.oneof({ weight: 9, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) }) },
        { requiredKeys: [] },
      ),
      submittedAt: fc.constant('2026-03-15T09:59:59.000Z'),
    });
    const stateArbitrary = fc.record({ lockdown: fc.boolean() });
    const nowArbitrary = fc.date({ min: new Date('2020-01-01T00:00:00.000Z'), max: new Date('2040-01-01T00:00:00.000Z'), noInvalidDate: true });
    const policyOf = (manifest: Manifest) => ({ version: manifest.version, hash: manifestHash(manifest) });

    it('decides the same for the same inputs', () => {
      fc.assert(
        fc.property(proposalArbitrary, manifestArbitrary, stateArbitrary, nowArbitrary, (proposal, manifest, state, now) => {
          const first = evaluate(proposal, manifest, policyOf(manifest), state, now);
          const second = evaluate(structuredClone(proposal), structuredClone(manifest), policyOf(manifest), { ...state }, new Date(now.getTime()));
          expect(second).toEqual(first);
        }),
      );
    });

    it('never answers allowed unless the status is ALLOW, and asks for a human exactly when it is REQUIRE_HUMAN', () => {
      fc.assert(
        fc.property(proposalArbitrary, manifestArbitrary, stateArbitrary, nowArbitrary, (proposal, manifest, state, now) => {
          const decision = evaluate(proposal, manifest, policyOf(manifest), state, now);
          expect(decision.allowed).toBe(decision.status === 'ALLOW');
          expect(decision.humanApprovalRequired).toBe(decision.status === 'REQUIRE_HUMAN');
          expect(decision.vetoDeadline === null).toBe(decision.status !== 'HELD_FOR_VETO');
        }),
      );
    });

    it('never allows without a finite confidence score at or above the auto-commit threshold', () => {
      fc.assert(
        fc.property(proposalArbitrary, manifestArbitrary, stateArbitrary, nowArbitrary, (proposal, manifest, state, now) => {
          const decision = evaluate(proposal, manifest, policyOf(manifest), state, now);
          const confidence = proposal.context.confidenceScore;
          if (decision.allowed) {
            expect(Number.isFinite(confidence)).toBe(true);
            expect(confidence).toBeGreaterThanOrEqual(manifest.autoCommitThreshold);
          }
        }),
      );
    });

    it('denies whenever an unconditional deny rule covers the action type, wherever it stands in the manifest', () => {
      fc.assert(
        fc.property(proposalArbitrary, manifestArbitrary, fc.nat(), stateArbitrary, nowArbitrary, (proposal, manifest, position, state, now) => {
          const deny: ManifestRule = { id: 'deny-it', actionTypes: [proposal.type], effect: 'DENY', reason: 'Denied' };
          const rules = [...manifest.rules];
          rules.splice(position % (rules.length + 1), 0, deny);
          const withDeny = { ...manifest, rules };

          const decision = evaluate(proposal, withDeny, policyOf(withDeny), state, now);

          expect(decision.status).toBe('DENY');
          expect(decision.allowed).toBe(false);
        }),
      );
    });

    it('denies every proposal during a lockdown', () => {
      fc.assert(
        fc.property(proposalArbitrary, manifestArbitrary, nowArbitrary, (proposal, manifest, now) => {
          const decision = evaluate(proposal, manifest, policyOf(manifest), { lockdown: true }, now);
          expect(decision).toMatchObject({ status: 'DENY', allowed: false, matchedRules: [], stateRead: { lockdown: true } });
        }),
      );
    });

    it('only ever names rules of the manifest that cover the action type', () => {
      fc.assert(
        fc.property(proposalArbitrary, manifestArbitrary, stateArbitrary, nowArbitrary, (proposal, manifest, state, now) => {
          const decision = evaluate(proposal, manifest, policyOf(manifest), state, now);
          const covering = manifest.rules.filter((rule) => rule.actionTypes === '*' || rule.actionTypes.includes(proposal.type)).map((rule) => rule.id);
          decision.matchedRules.forEach((id) => expect(covering).toContain(id));
        }),
      );
    });
  });
});
