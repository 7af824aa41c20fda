import { compileManifest } from './compile-manifest';
import { DEFAULT_MANIFEST } from './default-manifest';
import { type CompiledManifest, manifestHash } from './manifest';

const compile = (source: string | object): CompiledManifest => {
  const compiled = compileManifest(source);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.manifest;
};

const PAYMENTS = `
# Payments team policy
version: 3
description: Payments team policy
autoCommitThreshold: 0.8
rules:
  - id: large-payment
    actionTypes: [ledger:write]
    effect: REQUIRE_HUMAN
    when: payload.amount > 10000
    reason: Payments above 10,000 need an approver
  - id: allow-all
    actionTypes: ["*"]
    effect: ALLOW
    reason: Allowed
    constraints: { maxRetries: 3, backoff: { initialMs: 100, factor: 2 } }
budgets:
  - id: daily-payments
    actionTypes: [ledger:write]
    scope: agent
    window: 24h
    amount: double(payload.amount)
    warning: 8000
    critical: 10000
`;

// The same manifest with every mapping in another key order, other quoting and flow style, and no comments.
const PAYMENTS_REORDERED = `
budgets:
  - { critical: 10000, warning: 8000, amount: "double(payload.amount)", window: "24h", scope: agent, actionTypes: ["ledger:write"], id: daily-payments }
rules:
  - reason: "Payments above 10,000 need an approver"
    when: "payload.amount > 10000"
    effect: REQUIRE_HUMAN
    actionTypes: ["ledger:write"]
    id: large-payment
  - constraints:
      backoff: { factor: 2, initialMs: 100 }
      maxRetries: 3
    reason: Allowed
    effect: ALLOW
    actionTypes: ["*"]
    id: allow-all
autoCommitThreshold: 0.8
description: "Payments team policy"
version: 3
`;

describe('manifestHash', () => {
  it('is the SHA-256 hex of the canonical normalized manifest', () => {
    expect(manifestHash(compile(PAYMENTS))).toMatch(/^[0-9a-f]{64}$/);
    expect(manifestHash(compile(PAYMENTS))).toBe(compile(PAYMENTS).hash);
    expect(manifestHash(compile(PAYMENTS).document)).toBe(compile(PAYMENTS).hash);
  });

  it('does not change with key order, quoting, flow style or comments in the YAML', () => {
    expect(compile(PAYMENTS_REORDERED).hash).toBe(compile(PAYMENTS).hash);
  });

  it('does not change with the version number the server gives a manifest', () => {
    expect(compile(PAYMENTS.replace('version: 3', 'version: 4')).hash).toBe(compile(PAYMENTS).hash);
    expect(compile(PAYMENTS.replace('version: 3\n', '')).hash).toBe(compile(PAYMENTS).hash);
    expect(manifestHash({ ...compile(PAYMENTS).document, version: 9 } as CompiledManifest['document'])).toBe(compile(PAYMENTS).hash);
  });

  it.each([
    ['the threshold', 'autoCommitThreshold: 0.8', 'autoCommitThreshold: 0.81'],
    ['a reason', 'reason: Allowed', 'reason: Allowed.'],
    ['a condition', 'payload.amount > 10000', 'payload.amount > 10001'],
    ['a constraint', 'maxRetries: 3', 'maxRetries: 4'],
    ['a budget level', 'warning: 8000', 'warning: 8001'],
    ['the description', 'description: Payments team policy', 'description: Payments policy'],
  ])('changes with %s', (_name, before, after) => {
    expect(compile(PAYMENTS.replace(before, after)).hash).not.toBe(compile(PAYMENTS).hash);
  });

  it('changes with the order of rules, which orders reasons and constraint merging', () => {
    const document = compile(PAYMENTS).document;

    expect(compile({ ...document, rules: [...document.rules].reverse() }).hash).not.toBe(compile(PAYMENTS).hash);
  });

  // Recorded decisions carry this hash: a change here means replay can no longer match them to their policy.
  it('keeps the hash of the default manifest', () => {
    expect(DEFAULT_MANIFEST.hash).toBe('7bd5a705a119c0e4b6064717846594b7a69c4f0e87ac6e8d504dd1c9167db6b4');
  });
});
