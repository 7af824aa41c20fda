import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DecisionStatus } from '@halm/contracts';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { benchmarksDir } from '../harness';
import type { PolicyRequest } from './requests';

export { cedar };

export type ConfidenceEncoding = 'basis-points' | 'decimal';

export const POLICY_FILES: Record<ConfidenceEncoding, string> = {
  'basis-points': join(benchmarksDir, 'policy-evaluation', 'default-manifest.cedar'),
  decimal: join(benchmarksDir, 'policy-evaluation', 'default-manifest.decimal.cedar'),
};

/** A Cedar policy set keyed by each policy's `@id` (Cedar itself would name them policy0, policy1, …), with the Halm status each stands for. */
export interface CedarPolicySet {
  policies: Record<string, string>;
  statuses: ReadonlyMap<string, DecisionStatus>;
}

const failed = (what: string, errors: readonly { message: string }[]): Error => new Error(`${what}: ${errors.map((error) => error.message).join('; ')}`);

export const loadPolicySet = (encoding: ConfidenceEncoding): CedarPolicySet => {
  const parts = cedar.policySetTextToParts(readFileSync(POLICY_FILES[encoding], 'utf8'));
  if (parts.type !== 'success') throw failed(`${POLICY_FILES[encoding]} does not parse`, parts.errors);
  const policies: Record<string, string> = {};
  const statuses = new Map<string, DecisionStatus>();
  for (const text of parts.policies) {
    const json = cedar.policyToJson(text);
    if (json.type !== 'success') throw failed('a policy does not convert to JSON', json.errors);
    const id = json.json.annotations?.['id'];
    const status = json.json.annotations?.['halmStatus'] as DecisionStatus | undefined;
    if (!id || !status) throw new Error(`every policy needs @id and @halmStatus: ${text}`);
    if (id in policies) throw new Error(`two policies have @id("${id}")`);
    policies[id] = text;
    statuses.set(id, status);
  }
  return { policies, statuses };
};

/**
 * 0.92 → 9200: the score's shortest decimal form truncated to 4 digits. Truncating keeps
 * `score < t` and `score >= t` exact for every threshold t of at most 4 digits (0.3, 0.8, 0.9):
 * 0.79999999 becomes 7999, still below 8000.
 */
const basisPoints = (score: number): number => {
  if (score < 0 || score > 1) throw new Error(`confidence ${score} is outside 0..1`);
  if (score === 1) return 10_000;
  const text = String(score);
  if (text.includes('e')) return 0; // below 1e-6
  const digits = (text.split('.')[1] ?? '').padEnd(4, '0').slice(0, 4);
  return Number(digits);
};

const decimal = (score: number): cedar.CedarValueJson => {
  const points = basisPoints(score);
  return { __extn: { fn: 'decimal', arg: `${Math.floor(points / 10_000)}.${String(points % 10_000).padStart(4, '0')}` } };
};

/** Cedar has no floating point: a payload number must be a whole number, or the translation refuses it. */
const cedarValue = (value: unknown, path: string): cedar.CedarValueJson => {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`${path} is ${value}: this Cedar translation takes whole numbers only`);
    return value;
  }
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return value;
  if (Array.isArray(value)) return value.map((item, index) => cedarValue(item, `${path}/${index}`));
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, cedarValue(item, `${path}/${key}`)]));
  throw new Error(`${path} is a ${typeof value}`);
};

/**
 * What a request's Cedar context carries of the payload: `read`, only the attributes the policies
 * read (`amount` of a ledger:write), as a Cedar integration tuned for speed would send; `whole`,
 * the agent's payload as it came, as Halm's `evaluate` gets it.
 */
export type PayloadShape = 'read' | 'whole';

/** The Cedar context of a request: what Halm's `evaluate` reads, in the shape default-manifest.cedar documents. */
export const cedarContext = (request: PolicyRequest, encoding: ConfidenceEncoding, shape: PayloadShape): cedar.Context => {
  const { proposal, state } = request;
  const context: Record<string, cedar.CedarValueJson> = { lockdown: state.lockdown };
  if (shape === 'whole') context['payload'] = cedarValue(proposal.payload, 'payload');
  else if (proposal.type === 'ledger:write') context['payload'] = 'amount' in proposal.payload ? { amount: cedarValue(proposal.payload['amount'], 'payload/amount') } : {};
  const score = proposal.context.confidenceScore;
  // As in Halm, a score that is not a finite number counts as none.
  if (typeof score === 'number' && Number.isFinite(score)) context['confidence'] = encoding === 'decimal' ? decimal(score) : basisPoints(score);
  if (proposal.type === 'ledger:write') context['dailyPaymentsUsed'] = cedarValue(state.budgets['daily-payments']?.used ?? 0, 'dailyPaymentsUsed');
  return context;
};

/** One way of asking Cedar; the benchmark checks each against Halm, then times each. */
export interface CedarVariant {
  name: string;
  /** `statefulIsAuthorized` against a policy set preparsed once, or `isAuthorized`, which parses the policy text on every call. */
  api: 'statefulIsAuthorized' | 'isAuthorized';
  encoding: ConfidenceEncoding;
  payload: PayloadShape;
  description: string;
}

/** The ids the two policy sets are preparsed under. */
const PREPARSED_ID: Record<ConfidenceEncoding, string> = { 'basis-points': 'halm-default', decimal: 'halm-default-decimal' };

export type CedarPolicySets = Record<ConfidenceEncoding, CedarPolicySet>;

/** Reads both .cedar files and preparses them into Cedar's cache (`preparsePolicySet`). */
export const prepareCedar = (): CedarPolicySets => {
  const sets: CedarPolicySets = { 'basis-points': loadPolicySet('basis-points'), decimal: loadPolicySet('decimal') };
  for (const encoding of ['basis-points', 'decimal'] as const) {
    const answer = cedar.preparsePolicySet(PREPARSED_ID[encoding], { staticPolicies: sets[encoding].policies });
    if (answer.type !== 'success') throw failed('preparsePolicySet failed', answer.errors);
  }
  return sets;
};

/** The calls of a variant for these requests, built once, and the function that asks Cedar one of them. */
export interface CedarCalls {
  calls: readonly unknown[];
  authorize: (call: unknown) => cedar.AuthorizationAnswer;
  policySet: CedarPolicySet;
}

export const cedarCalls = (variant: CedarVariant, requests: readonly PolicyRequest[], sets: CedarPolicySets): CedarCalls => {
  const policySet = sets[variant.encoding];
  const calls = requests.map((request) => {
    const common = {
      principal: { type: 'Agent', id: request.proposal.context.agentId ?? 'unknown' },
      action: { type: 'Action', id: request.proposal.type },
      resource: { type: 'Tenant', id: request.proposal.tenantId },
      context: cedarContext(request, variant.encoding, variant.payload),
      entities: [],
    };
    return variant.api === 'statefulIsAuthorized'
      ? ({ ...common, preparsedPolicySetId: PREPARSED_ID[variant.encoding] } satisfies cedar.StatefulAuthorizationCall)
      : ({ ...common, policies: { staticPolicies: policySet.policies } } satisfies cedar.AuthorizationCall);
  });
  const authorize = (variant.api === 'statefulIsAuthorized' ? cedar.statefulIsAuthorized : cedar.isAuthorized) as (call: unknown) => cedar.AuthorizationAnswer;
  return { calls, authorize, policySet };
};

const SEVERITY: Record<DecisionStatus, number> = { ALLOW: 0, HELD_FOR_VETO: 1, REQUIRE_HUMAN: 2, DENY: 3 };

/**
 * The Halm status a Cedar answer stands for: ALLOW when Cedar permits; otherwise the strongest
 * status among the satisfied forbids (Halm's deny-overrides order); a deny that no forbid
 * decided means no permit held, i.e. the confidence is missing or below the threshold, which
 * Halm answers REQUIRE_HUMAN. A policy that errored makes the answer unusable for the check.
 */
export const statusOf = (answer: cedar.AuthorizationAnswer, policySet: CedarPolicySet): DecisionStatus => {
  if (answer.type !== 'success') throw failed('Cedar failed', answer.errors);
  const { decision, diagnostics } = answer.response;
  if (diagnostics.errors.length > 0) throw new Error(`Cedar policies errored: ${diagnostics.errors.map((error) => `${error.policyId}: ${error.error.message}`).join('; ')}`);
  if (decision === 'allow') return 'ALLOW';
  let status: DecisionStatus | undefined;
  for (const id of diagnostics.reason) {
    const forbidden = policySet.statuses.get(id);
    if (forbidden === undefined) throw new Error(`Cedar names an unknown policy ${id}`);
    if (status === undefined || SEVERITY[forbidden] > SEVERITY[status]) status = forbidden;
  }
  return status ?? 'REQUIRE_HUMAN';
};

export const permits = (answer: cedar.AuthorizationAnswer): boolean => answer.type === 'success' && answer.response.decision === 'allow';
