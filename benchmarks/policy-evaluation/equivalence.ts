import type { Decision, DecisionStatus } from '@halm/contracts';
import { DEFAULT_MANIFEST, evaluate, type PolicyIdentity } from '@halm/domain';
import { markdownTable } from '../harness';
import { cedarCalls, type CedarPolicySets, type CedarVariant, permits, statusOf } from './cedar';
import type { PolicyRequest } from './requests';

export const POLICY: PolicyIdentity = { version: 1, hash: DEFAULT_MANIFEST.hash };
/** A fixed `now`: evaluate is pure and no rule of the default manifest reads the time, so any instant decides the same. */
export const NOW = new Date('2026-01-01T00:00:05.000Z');

export const halmDecide = (request: PolicyRequest): Decision => evaluate(request.proposal, DEFAULT_MANIFEST, POLICY, request.state, NOW);

/**
 * The ways of asking Cedar the benchmark checks and times. The first is the comparison: Cedar's
 * fastest API with its fastest encoding we found. Each other one changes one thing from it.
 */
export const CEDAR_VARIANTS: readonly CedarVariant[] = [
  {
    name: 'Cedar',
    api: 'statefulIsAuthorized',
    encoding: 'basis-points',
    payload: 'read',
    description: '`statefulIsAuthorized`, policy set preparsed once; confidence a Long (basis points); context only what the policies read',
  },
  {
    name: 'Cedar, whole payload',
    api: 'statefulIsAuthorized',
    encoding: 'basis-points',
    payload: 'whole',
    description: 'the same with the agent’s whole payload in the context',
  },
  {
    name: 'Cedar, decimal',
    api: 'statefulIsAuthorized',
    encoding: 'decimal',
    payload: 'read',
    description: 'the same with the confidence a Cedar `decimal`',
  },
  {
    name: 'Cedar, unparsed',
    api: 'isAuthorized',
    encoding: 'basis-points',
    payload: 'read',
    description: '`isAuthorized`, which parses the policy text on every call (reference only)',
  },
];

export interface Check {
  label: string;
  expected: DecisionStatus;
  halm: string;
  /** By Cedar variant: `permit (ALLOW)`, `deny (REQUIRE_HUMAN)`, … */
  cedar: Record<string, string>;
  ok: boolean;
}

/**
 * Every request through Halm and through every Cedar variant: Halm's status must be the one
 * expected, Cedar must permit exactly when Halm allows, and the status Cedar's deciding policies
 * stand for must be Halm's.
 */
export const checkEquivalence = (requests: readonly PolicyRequest[], sets: CedarPolicySets): Check[] => {
  const asked = CEDAR_VARIANTS.map((variant) => ({ variant, ...cedarCalls(variant, requests, sets) }));
  return requests.map((request, index) => {
    const decision = halmDecide(request);
    let ok = decision.status === request.expected && decision.allowed === (decision.status === 'ALLOW');
    const cedarStatuses: Record<string, string> = {};
    for (const { variant, calls, authorize, policySet } of asked) {
      const answer = authorize(calls[index]);
      let status: string;
      try {
        status = statusOf(answer, policySet);
        if (status !== decision.status || permits(answer) !== decision.allowed) ok = false;
      } catch (error) {
        status = `error: ${(error as Error).message}`;
        ok = false;
      }
      cedarStatuses[variant.name] = `${permits(answer) ? 'permit' : 'deny'} (${status})`;
    }
    return { label: request.label, expected: request.expected, halm: `${decision.allowed ? 'allowed' : 'not allowed'} (${decision.status})`, cedar: cedarStatuses, ok };
  });
};

export const describeDisagreements = (checks: readonly Check[]): string => {
  const failures = checks.filter((check) => !check.ok);
  return (
    `Halm and Cedar disagree on ${failures.length} of ${checks.length} requests.\n` +
    `(If libs/domain/src/policy/default-manifest.ts changed, update benchmarks/policy-evaluation/*.cedar and requests.ts.)\n\n` +
    markdownTable(
      ['request', 'expected', 'Halm', ...CEDAR_VARIANTS.map((variant) => variant.name)],
      failures.map((check) => [check.label, check.expected, check.halm, ...CEDAR_VARIANTS.map((variant) => check.cedar[variant.name] ?? '')]),
    )
  );
};
