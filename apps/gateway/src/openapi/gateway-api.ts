import {
  ACTION_TYPES,
  DECISION_STATUSES,
  LEDGER_EVENT_TYPES,
  PAYLOAD_CLASSES,
  ROLES,
  type Actor,
  type ApiKeyView,
  type AuthorizeResponse,
  type ExecutionView,
  type PolicyVersionSummary,
  type ProposalContext,
} from '@halm/contracts';
import {
  BUDGET_SCOPES,
  DEFAULT_MANIFEST,
  PROPOSAL_LIFECYCLES,
  type BudgetDocument,
  type FieldChange,
  type ManifestChange,
  type ManifestDocument,
  type ProposalHistoryEntry,
  type ProposalLifecycle,
  type RuleDocument,
  diffManifests,
  manifestHash,
} from '@halm/domain';
import type { HealthController, HealthRegistry } from '@halm/platform';
import type { AdminController } from '../admin.controller';
import type { AuditController, AuditEvent, AuditEventPage, AuditEventWithProof, AuditKeysView, ConsistencyProofView, InclusionProofView, PublicKeyView } from '../audit/audit.controller';
import { ApiKeyGuard } from '../api-key.guard';
import type { VerdictView } from '../approvals.controller';
import { PAGE_ROUTES } from '../console/pages-api';
import type { GatewaySettings } from '../gateway.settings';
import { LOCKDOWN_GUARD_DOC, LOCKDOWN_PROPERTY_DESCRIPTIONS, LOCKDOWN_ROUTES, LOCKDOWN_SCHEMAS } from '../lockdown/lockdown-api';
import { LockdownAdminGuard } from '../lockdown/lockdown-admin.guard';
import { INTEGRITY_ROUTES, INTEGRITY_SCHEMAS, INTEGRITY_TAG } from '../integrity/integrity-api';
import { REPLAY_PROPERTY_DESCRIPTIONS, REPLAY_ROUTES, REPLAY_SCHEMAS } from '../replay/replay-api';
import { OperatorGuard } from '../operator.guard';
import type { PoliciesController, PolicyChangeView } from '../policies.controller';
import type { ProposalsController, ProposalView } from '../proposals.controller';
import { SandboxGuard } from '../sandbox/sandbox.guard';
import type { DtoClass, DtoSchemas, JsonSchema } from './dto-schemas';
import type { ApiDescription, GuardDoc, ResponseDoc, RouteDoc } from './openapi-document';
import { enumSchema, objectSchema, ref } from './typed-schema';

/*
 * What the code cannot tell about the gateway's HTTP API: prose, response bodies and the
 * meaning of guards. Paths, methods, parameters, request bodies and success statuses come
 * from the controllers themselves (see openapi-document.ts). A route missing here still
 * appears in /api/openapi.json, and apps/gateway/src/openapi/openapi.int.spec.ts fails until
 * it is described.
 */

/** The quickstart seed's request and response, byte for byte. */
export const SEED_REQUEST = { type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, context: { confidenceScore: 0.92 } };

const SEED_RESPONSE: AuthorizeResponse = {
  proposalId: 'prop_8f3a1c2e9b7d4f6a0c1e2d3b',
  status: 'ALLOW',
  allowed: true,
  reasons: ['Action complies with active policy manifest', 'Confidence 0.92 exceeds auto-commit threshold 0.8'],
  constraints: {},
  vetoDeadline: null,
  humanApprovalRequired: false,
  decidedAt: '2026-03-15T10:00:00.000Z',
};

/** Requests for the reference and the playground; the OpenAPI test checks each against the request schema. */
export const AUTHORIZE_EXAMPLES: NonNullable<RouteDoc['requestExamples']> = {
  quickstart: { summary: 'Quickstart: pay 120 to acme', value: SEED_REQUEST },
  'large-payment': {
    summary: 'A payment of 50 000',
    value: { type: 'ledger:write', payload: { amount: 50_000, recipient: 'acme' }, justification: 'Quarterly invoice', context: { confidenceScore: 0.97, agentId: 'agent_billing', sessionId: 'sess_abc' } },
  },
  'low-confidence': {
    summary: 'A webhook at confidence 0.2',
    value: { type: 'webhook:send', payload: { url: 'https://example.com/hooks/orders', event: 'order.shipped' }, context: { confidenceScore: 0.2 } },
  },
  recalibration: {
    summary: 'A model recalibration',
    value: { type: 'recalibrate:propose', payload: { model: 'risk-scorer', parameters: { threshold: 0.85 }, rationale: 'Fewer false positives' }, context: { confidenceScore: 0.9 } },
  },
};

const json = (schema: JsonSchema, extra: { example?: unknown } = {}): ResponseDoc['content'] => ({ 'application/json': { schema, ...extra } });

const ISO_TIME: JsonSchema = { type: 'string', format: 'date-time' };

// ---------------------------------------------------------------- response bodies

type CreatedTenant = Awaited<ReturnType<AdminController['createTenant']>>;
type KeyList = Awaited<ReturnType<AdminController['listKeys']>>;
type IssuedKey = Awaited<ReturnType<AdminController['issueKey']>>;
type ProposalList = Awaited<ReturnType<ProposalsController['list']>>;
type PolicyList = Awaited<ReturnType<PoliciesController['list']>>;
type PolicyVersion = Awaited<ReturnType<PoliciesController['show']>>;
type PolicyDiff = Awaited<ReturnType<PoliciesController['diff']>>;
type ManifestChangeOf<K extends ManifestChange['kind']> = Extract<ManifestChange, { kind: K }>;
type Liveness = ReturnType<HealthController['live']>;
type HealthChecks = Awaited<ReturnType<HealthRegistry['report']>>['checks'];
type HealthCheck = HealthChecks[string];
/** What /health/ready sends (HealthController.ready writes it to the reply itself). */
interface Readiness {
  status: 'ok' | 'unavailable';
  service: string;
  checks: HealthChecks;
}
interface HealthReport extends Readiness {
  live: true;
  ready: boolean;
}

// The domain's list is complete by construction (a record keyed by the union).
const LIFECYCLES = Object.fromEntries(PROPOSAL_LIFECYCLES.map((lifecycle) => [lifecycle, true])) as { [K in ProposalLifecycle]: true };

// ---------------------------------------------------------------- policy manifests

const MANIFEST_REFERENCE = 'The format is described in docs/policy-manifests.md; its JSON Schema (draft 2020-12) is `urn:halm:schema:policy-manifest` (libs/domain/src/policy/policy-manifest.schema.json).';

/** The manifest of docs/policy-manifests.md ("A first manifest"), as a publish request carries it. */
const EXAMPLE_MANIFEST: ManifestDocument = {
  description: 'Payments team policy',
  autoCommitThreshold: 0.8,
  rules: [
    { id: 'large-payment', actionTypes: ['ledger:write'], effect: 'REQUIRE_HUMAN', when: 'payload.amount > 10000', reason: 'Payments above 10,000 need an approver' },
    { id: 'standard', actionTypes: ['*'], effect: 'ALLOW', reason: 'Action complies with active policy manifest', constraints: { maxRetries: 3 } },
  ],
  budgets: [{ id: 'daily-payments', actionTypes: ['ledger:write'], scope: 'agent', window: '24h', amount: 'double(payload.amount)', warning: 8000, critical: 10000 }],
};

/** The same manifest's YAML source: what `source` carries. */
const EXAMPLE_MANIFEST_SOURCE = `description: Payments team policy
autoCommitThreshold: 0.8
rules:
  - id: large-payment
    actionTypes: [ledger:write]
    effect: REQUIRE_HUMAN
    when: payload.amount > 10000
    reason: Payments above 10,000 need an approver
  - id: standard
    actionTypes: ["*"]
    effect: ALLOW
    reason: Action complies with active policy manifest
    constraints: { maxRetries: 3 }
budgets:
  - id: daily-payments
    actionTypes: [ledger:write]
    scope: agent
    window: 24h
    amount: double(payload.amount)
    warning: 8000
    critical: 10000
`;

/** A later version of it: stricter on payments, no webhooks at night, a higher threshold. */
const EXAMPLE_MANIFEST_V3: ManifestDocument = {
  ...EXAMPLE_MANIFEST,
  autoCommitThreshold: 0.85,
  rules: [
    { ...EXAMPLE_MANIFEST.rules[0]!, when: 'payload.amount > 5000' },
    EXAMPLE_MANIFEST.rules[1]!,
    { id: 'no-webhooks-at-night', actionTypes: ['webhook:send'], effect: 'DENY', when: 'now.getHours("UTC") >= 22', reason: 'No webhooks at night' },
  ],
};

const EXAMPLE_HASH = manifestHash(EXAMPLE_MANIFEST);

const EXAMPLE_VERSIONS: PolicyVersionSummary[] = [
  { version: 1, hash: DEFAULT_MANIFEST.hash, description: DEFAULT_MANIFEST.document.description ?? null, publishedAt: '2026-03-15T09:59:59.000Z', active: false },
  { version: 2, hash: EXAMPLE_HASH, description: 'Payments team policy', publishedAt: '2026-03-15T10:05:00.000Z', active: true },
];

const EXAMPLE_POLICY_CHANGE: PolicyChangeView = {
  decision: {
    proposalId: 'prop_5c0e2f7a9b1d3e4f6a8c0b2d',
    status: 'REQUIRE_HUMAN',
    allowed: false,
    reasons: ['Policy changes need a human approver'],
    constraints: {},
    vetoDeadline: null,
    humanApprovalRequired: true,
    decidedAt: '2026-03-15T10:04:00.000Z',
  },
  version: null,
  hash: EXAMPLE_HASH,
};

const ACTION_TYPE_OR_ANY: JsonSchema = { type: 'array', minItems: 1, items: { type: 'string', enum: [...ACTION_TYPES, '*'] }, description: 'The action types covered, or `["*"]` for all of them.' };
const ANY_JSON: JsonSchema = { description: 'Any JSON value.' };

/** One schema per kind of change: the compiler insists on every kind of ManifestChange. */
const MANIFEST_CHANGES: { [K in ManifestChange['kind']]: JsonSchema } = {
  'description-changed': objectSchema<ManifestChangeOf<'description-changed'>>({
    description: 'The description changed; a side is absent when the manifest had none.',
    properties: { kind: { const: 'description-changed' }, before: { type: 'string' }, after: { type: 'string' } },
    optional: { before: true, after: true },
  }),
  'threshold-changed': objectSchema<ManifestChangeOf<'threshold-changed'>>({
    properties: { kind: { const: 'threshold-changed' }, before: { type: 'number' }, after: { type: 'number' } },
    optional: {},
  }),
  'rule-added': objectSchema<ManifestChangeOf<'rule-added'>>({
    properties: { kind: { const: 'rule-added' }, id: { type: 'string' }, rule: ref('PolicyRule') },
    optional: {},
  }),
  'rule-removed': objectSchema<ManifestChangeOf<'rule-removed'>>({
    properties: { kind: { const: 'rule-removed' }, id: { type: 'string' }, rule: ref('PolicyRule') },
    optional: {},
  }),
  'rule-changed': objectSchema<ManifestChangeOf<'rule-changed'>>({
    properties: { kind: { const: 'rule-changed' }, id: { type: 'string' }, fields: { type: 'array', items: ref('FieldChange') } },
    optional: {},
  }),
  'rules-reordered': objectSchema<ManifestChangeOf<'rules-reordered'>>({
    description: 'The rules both versions have are in another order: order decides the order of reasons and which rule wins a clash of constraint keys.',
    properties: { kind: { const: 'rules-reordered' }, before: { type: 'array', items: { type: 'string' } }, after: { type: 'array', items: { type: 'string' } } },
    optional: {},
  }),
  'budget-added': objectSchema<ManifestChangeOf<'budget-added'>>({
    properties: { kind: { const: 'budget-added' }, id: { type: 'string' }, budget: ref('PolicyBudget') },
    optional: {},
  }),
  'budget-removed': objectSchema<ManifestChangeOf<'budget-removed'>>({
    properties: { kind: { const: 'budget-removed' }, id: { type: 'string' }, budget: ref('PolicyBudget') },
    optional: {},
  }),
  'budget-changed': objectSchema<ManifestChangeOf<'budget-changed'>>({
    properties: { kind: { const: 'budget-changed' }, id: { type: 'string' }, fields: { type: 'array', items: ref('FieldChange') } },
    optional: {},
  }),
};

const POLICY_SCHEMAS: Record<string, JsonSchema> = {
  PolicyRule: objectSchema<RuleDocument>({
    description: `A rule of a policy manifest. ${MANIFEST_REFERENCE}`,
    properties: {
      id: { type: 'string', pattern: '^[a-z0-9-]+$', maxLength: 64 },
      actionTypes: ACTION_TYPE_OR_ANY,
      effect: { type: 'string', enum: [...DECISION_STATUSES] },
      when: { type: 'string', description: 'A CEL condition; absent, the rule always matches its action types.' },
      reason: { type: 'string', maxLength: 500, description: 'The reason a decision gives when this rule decides.' },
      vetoWindow: { type: 'string', description: 'HELD_FOR_VETO only: how long approvers have to veto, e.g. `1h`.' },
      constraints: { type: 'object', additionalProperties: true, description: 'ALLOW only: handed back to the agent with the decision.' },
      minConfidence: { type: 'number', minimum: 0, maximum: 1, description: 'ALLOW only: replaces `autoCommitThreshold` for actions this rule allows.' },
    },
    optional: { when: true, vetoWindow: true, constraints: true, minConfidence: true },
  }),
  PolicyBudget: objectSchema<BudgetDocument>({
    description: `A budget of a policy manifest. ${MANIFEST_REFERENCE}`,
    properties: {
      id: { type: 'string', pattern: '^[a-z0-9-]+$', maxLength: 64 },
      actionTypes: ACTION_TYPE_OR_ANY,
      scope: enumSchema<BudgetDocument['scope']>(Object.fromEntries(BUDGET_SCOPES.map((scope) => [scope, true])) as { [K in BudgetDocument['scope']]: true }, 'Whose usage counts.'),
      window: { type: 'string', description: 'The sliding window usage is summed over, e.g. `24h`.' },
      amount: { type: 'string', description: 'A CEL expression giving the number this action adds.' },
      warning: { type: 'number', minimum: 0 },
      critical: { type: 'number', minimum: 0, description: 'Exceeding it denies.' },
    },
    optional: { warning: true },
  }),
  PolicyManifest: objectSchema<ManifestDocument>({
    description: `A policy manifest as the ledger records it: normalized, without \`version\` (the version is the ledger's number for it). ${MANIFEST_REFERENCE}`,
    properties: {
      description: { type: 'string', maxLength: 2000 },
      autoCommitThreshold: { type: 'number', minimum: 0, maximum: 1, description: 'Confidence at or above which an ALLOW may commit without a human.' },
      rules: { type: 'array', items: ref('PolicyRule'), maxItems: 500 },
      budgets: { type: 'array', items: ref('PolicyBudget'), maxItems: 100 },
    },
    optional: { description: true },
    examples: [EXAMPLE_MANIFEST],
  }),
  PolicyVersionSummary: objectSchema<PolicyVersionSummary>({
    description: 'A published policy version. Versions are immutable: a change is a new version.',
    properties: {
      version: { type: 'integer', minimum: 1, description: 'Numbered by the ledger from 1; version 1 is the default manifest, recorded before the tenant\'s first decision.' },
      hash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'SHA-256 (hex) of the RFC 8785 canonical JSON of the manifest.' },
      description: { type: ['string', 'null'] },
      publishedAt: ISO_TIME,
      active: { type: 'boolean', description: 'Whether this is the version in force.' },
    },
    optional: {},
  }),
  PolicyList: objectSchema<PolicyList>({
    properties: {
      activeVersion: { type: ['integer', 'null'], minimum: 1, description: 'The version in force; null before the tenant\'s first decision (the default manifest then applies, and becomes version 1).' },
      previousVersion: { type: ['integer', 'null'], minimum: 1, description: 'The version the one in force replaced: where `POST /api/policies/rollback` goes. Null when there is none.' },
      versions: { type: 'array', items: ref('PolicyVersionSummary'), description: 'Every published version, oldest first.' },
    },
    optional: {},
    examples: [{ activeVersion: 2, previousVersion: 1, versions: EXAMPLE_VERSIONS }],
  }),
  PolicyVersion: objectSchema<PolicyVersion>({
    description: 'One published version with its manifest.',
    properties: {
      version: { type: 'integer', minimum: 1 },
      hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
      description: { type: ['string', 'null'] },
      publishedAt: ISO_TIME,
      active: { type: 'boolean' },
      manifest: ref('PolicyManifest'),
    },
    optional: {},
    examples: [{ ...EXAMPLE_VERSIONS[1]!, manifest: EXAMPLE_MANIFEST }],
  }),
  FieldChange: objectSchema<FieldChange>({
    description: 'One field of a rule or budget before and after; a side is absent when the field was.',
    properties: { field: { type: 'string' }, before: ANY_JSON, after: ANY_JSON },
    optional: { before: true, after: true },
  }),
  ManifestChange: { description: 'One difference between two manifests.', oneOf: Object.values(MANIFEST_CHANGES) },
  PolicyDiff: objectSchema<PolicyDiff>({
    properties: {
      from: { type: 'integer', minimum: 1 },
      to: { type: 'integer', minimum: 1 },
      changes: {
        type: 'array',
        items: ref('ManifestChange'),
        description: 'What changed from `from` to `to`: the description and threshold, then rules (removed and changed in the old order, added in the new), a reordering, then budgets. Empty when both are the same policy.',
      },
    },
    optional: {},
    examples: [{ from: 2, to: 3, changes: diffManifests(EXAMPLE_MANIFEST, EXAMPLE_MANIFEST_V3) }],
  }),
  PolicyChange: objectSchema<PolicyChangeView>({
    description:
      'A policy change goes through the gate as a `policy:update` proposal, decided by the manifest in force like any other action. `decision` is that decision; `version` is the version published or activated when the decision let the kernel carry it out at once (ALLOW), and null while it waits for an approver or a veto window (the kernel carries it out when the proposal is approved or the window elapses) or when it was denied.',
    properties: {
      decision: ref('AuthorizeResponse'),
      version: { type: ['integer', 'null'], minimum: 1 },
      hash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'The manifest\'s hash: the version this change publishes or activates carries it.' },
    },
    optional: {},
    examples: [EXAMPLE_POLICY_CHANGE],
  }),
};

// ---------------------------------------------------------------- audit

type LedgerEventBody = AuditEvent['event'];
type SignedCheckpointBody = Awaited<ReturnType<AuditController['latestCheckpoint']>>;
type CheckpointList = Awaited<ReturnType<AuditController['listCheckpoints']>>;

const HEX_HASH: JsonSchema = { type: 'string', pattern: '^[0-9a-f]{64}$' };

const AUDIT_SCHEMAS: Record<string, JsonSchema> = {
  LedgerEvent: objectSchema<LedgerEventBody>({
    description: 'A ledger event exactly as the tenant\'s ledger stores it. `hash` is SHA-256 (hex) over the RFC 8785 canonical JSON of every other field; `prevHash` links it to the event before.',
    properties: {
      tenantId: { type: 'string' },
      height: { type: 'integer', minimum: 1, description: 'Its position in the tenant\'s ledger, from 1; leaf `height - 1` of the tenant\'s Merkle tree.' },
      prevHash: HEX_HASH,
      eventId: { type: 'string' },
      type: { type: 'string', enum: [...LEDGER_EVENT_TYPES] },
      recordedAt: ISO_TIME,
      data: { description: 'The event\'s data; its shape depends on `type` (libs/contracts/src/ledger-event.ts).' },
      hash: HEX_HASH,
    },
    optional: {},
  }),
  AuditEvent: objectSchema<AuditEvent>({
    properties: {
      event: ref('LedgerEvent'),
      leafHash: { ...HEX_HASH, description: 'RFC 9162 leaf hash: SHA-256(0x00 || the UTF-8 of the RFC 8785 form of `event`).' },
    },
    optional: {},
  }),
  AuditEventPage: objectSchema<AuditEventPage>({
    properties: {
      events: { type: 'array', items: ref('AuditEvent'), maxItems: 500, description: 'Lowest height first.' },
      next: { type: ['integer', 'null'], minimum: 1, description: 'Pass as `fromHeight` for the next page; null when this page reached `toHeight` or the last event.' },
      projectedHeight: { type: 'integer', minimum: 0, description: 'How many of the tenant\'s events can be read: heights 1 to this.' },
    },
    optional: {},
  }),
  SignedCheckpoint: objectSchema<SignedCheckpointBody>({
    description:
      'The ledger states, signed with Ed25519, that the first `treeSize` events of the tenant have the RFC 9162 Merkle root `rootHash`. `signature` (unpadded base64url) covers the UTF-8 of the RFC 8785 form of every other field; `keyId` names the key (`GET /api/audit/keys`).',
    properties: {
      tenantId: { type: 'string' },
      treeSize: { type: 'integer', minimum: 0 },
      rootHash: HEX_HASH,
      issuedAt: ISO_TIME,
      keyId: { type: 'string' },
      signature: { type: 'string', pattern: '^[A-Za-z0-9_-]{86}$' },
    },
    optional: {},
  }),
  CheckpointList: objectSchema<CheckpointList>({
    properties: {
      checkpoints: { type: 'array', items: ref('SignedCheckpoint'), description: 'Largest tree first.' },
      next: { type: ['string', 'null'], description: 'Pass as `before` for the next page; null on the last page.' },
    },
    optional: {},
  }),
  InclusionProof: objectSchema<InclusionProofView>({
    description: 'RFC 9162 section 2.1.3: verify with the event\'s leaf hash and the checkpoint\'s `rootHash` (section 2.1.3.2).',
    properties: {
      leafIndex: { type: 'integer', minimum: 0, description: 'The event\'s height minus 1.' },
      treeSize: { type: 'integer', minimum: 1 },
      hashes: { type: 'array', items: HEX_HASH, description: 'The audit path, from the leaf\'s sibling up.' },
    },
    optional: {},
  }),
  AuditEventWithProof: objectSchema<AuditEventWithProof>({
    properties: {
      event: ref('LedgerEvent'),
      leafHash: HEX_HASH,
      proof: ref('InclusionProof'),
      checkpoint: ref('SignedCheckpoint'),
    },
    optional: {},
  }),
  ConsistencyProof: objectSchema<ConsistencyProofView>({
    description: 'RFC 9162 section 2.1.4: verify with the roots of the two trees (section 2.1.4.2), from the signed checkpoints of those sizes.',
    properties: {
      fromSize: { type: 'integer', minimum: 1 },
      toSize: { type: 'integer', minimum: 1 },
      hashes: { type: 'array', items: HEX_HASH, description: 'Empty when both sizes are equal.' },
      fromCheckpoint: { oneOf: [ref('SignedCheckpoint'), { type: 'null' }], description: 'The checkpoint of `fromSize` events, null when none was published.' },
      toCheckpoint: { oneOf: [ref('SignedCheckpoint'), { type: 'null' }], description: 'The checkpoint of `toSize` events, null when none was published.' },
    },
    optional: {},
  }),
  PublicKey: objectSchema<PublicKeyView>({
    properties: {
      keyId: { type: 'string' },
      publicKey: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', description: 'Ed25519, SubjectPublicKeyInfo DER in unpadded base64url.' },
      current: { type: 'boolean', description: 'Whether new signatures are made with it; retired keys still verify older ones.' },
    },
    optional: {},
  }),
  AuditKeys: objectSchema<AuditKeysView>({
    properties: {
      checkpointKeys: { type: 'array', items: ref('PublicKey'), description: 'The keys the ledger signs checkpoints with, retired ones included.' },
      executionTokenKeys: { type: 'array', items: ref('PublicKey'), description: 'The key this gateway signs execution tokens with (`kid` in a token\'s header).' },
    },
    optional: {},
  }),
};

const AUDIT_UNAVAILABLE: ResponseDoc = {
  description: 'The ledger did not answer (signing a checkpoint, listing its keys), or its projection did not catch up with a checkpoint it just signed; retry.',
  content: { 'application/problem+json': { schema: ref('ProblemDetails') } },
};

const HEIGHT_RANGE = { fromHeight: { description: 'The first height to read (default 1).', example: 1 }, toHeight: { description: 'The last height to read, included (default: the last event). A page holds at most 500 events; `next` continues.', example: 500 } };

const AUDIT_ROUTES: Record<string, RouteDoc> = {
  'GET /api/audit/events': {
    operationId: 'listLedgerEvents',
    summary: 'Read the tenant\'s ledger events',
    description: 'The events from `fromHeight` to `toHeight` (both included), each with its RFC 9162 leaf hash, at most 500 a page. An auditor recomputes each `hash` and link, and each leaf hash, from the events alone.',
    tags: ['Audit'],
    parameters: HEIGHT_RANGE,
    success: { description: 'A page of events.', content: json(ref('AuditEventPage')) },
  },
  'GET /api/audit/events/:height': {
    operationId: 'getLedgerEventWithProof',
    summary: 'One event with its inclusion proof',
    description:
      'The event, its leaf hash and an RFC 9162 inclusion proof against a signed checkpoint: the latest checkpoint that holds the event, or the one of `treeSize` events when given. When no checkpoint holds the event yet, the ledger signs one on demand. Verify the checkpoint\'s signature with `GET /api/audit/keys`, then the proof against its `rootHash`.',
    tags: ['Audit'],
    parameters: {
      height: { description: 'The event\'s height in the tenant\'s ledger (from 1).', example: 3 },
      treeSize: { description: 'Prove against the checkpoint of exactly this many events (at least `height`).', example: 10 },
    },
    success: { description: 'The event with its proof and the checkpoint it leads to.', content: json(ref('AuditEventWithProof')) },
    responses: { 404: 'NotFound', 503: AUDIT_UNAVAILABLE },
  },
  'GET /api/audit/checkpoints/latest': {
    operationId: 'getLatestCheckpoint',
    summary: 'The latest signed checkpoint',
    tags: ['Audit'],
    success: { description: 'The checkpoint of the largest tree.', content: json(ref('SignedCheckpoint')) },
    responses: { 404: 'NotFound' },
  },
  'GET /api/audit/checkpoints': {
    operationId: 'listCheckpoints',
    summary: 'List the signed checkpoints',
    description: 'Every checkpoint the ledger published for the tenant (on its schedule and on demand), largest tree first.',
    tags: ['Audit'],
    parameters: {
      limit: { description: 'How many (1 to 200; 50 by default).', example: 50 },
      before: { description: 'The `next` of the previous page, or a tree size: only smaller trees.', example: '120~3f2a9c1b7d4e5f60' },
    },
    success: { description: 'A page of checkpoints.', content: json(ref('CheckpointList')) },
  },
  'POST /api/audit/checkpoints': {
    operationId: 'signCheckpoint',
    summary: 'Have the ledger sign a checkpoint now',
    description: 'A checkpoint of the tenant\'s whole tree as it stands now, signed and published by the ledger (the latest one when it already signs this tree).',
    tags: ['Audit'],
    success: { description: 'The signed checkpoint.', content: json(ref('SignedCheckpoint')) },
    responses: { 404: 'NotFound', 503: AUDIT_UNAVAILABLE },
  },
  'GET /api/audit/consistency': {
    operationId: 'getConsistencyProof',
    summary: 'A consistency proof between two tree sizes',
    description: 'The RFC 9162 proof that the tree of `fromSize` events is a prefix of the tree of `toSize` events: nothing in the older tree was changed, removed or reordered. With the signed checkpoints of both sizes when they exist.',
    tags: ['Audit'],
    parameters: {
      fromSize: { description: 'The older tree\'s size (from 1), e.g. an earlier checkpoint\'s `treeSize`.', example: 10 },
      toSize: { description: 'The newer tree\'s size (default: the latest checkpoint\'s).', example: 25 },
    },
    success: { description: 'The proof.', content: json(ref('ConsistencyProof')) },
    responses: { 404: 'NotFound', 503: AUDIT_UNAVAILABLE },
  },
  'GET /api/audit/keys': {
    operationId: 'getAuditKeys',
    summary: 'The public keys',
    description: 'The Ed25519 public keys that verify checkpoints (from the ledger) and execution tokens (from this gateway), by key id.',
    tags: ['Audit'],
    success: { description: 'The keys.', content: json(ref('AuditKeys')) },
    responses: { 503: AUDIT_UNAVAILABLE },
  },
};

const SCHEMAS: Record<string, JsonSchema> = {
  ...POLICY_SCHEMAS,
  ...AUDIT_SCHEMAS,
  ...LOCKDOWN_SCHEMAS,
  ...INTEGRITY_SCHEMAS,
  ...REPLAY_SCHEMAS,
  AuthorizeResponse: objectSchema<AuthorizeResponse>({
    description: 'The decision, field for field as the quickstart documents it. Only `ALLOW` answers `allowed: true`, and only once the decision is durably in the ledger.',
    properties: {
      proposalId: { type: 'string', pattern: '^prop_[0-9a-f]{24}$', description: 'The name the gateway gave the proposal; poll `GET /api/kernel/proposals/{proposalId}` with it.' },
      status: { type: 'string', enum: [...DECISION_STATUSES], description: 'ALLOW: go ahead. DENY: do not. REQUIRE_HUMAN: an approver decides. HELD_FOR_VETO: executable at `vetoDeadline` unless vetoed.' },
      allowed: { type: 'boolean', description: 'True only for ALLOW. Gate the side effect on this.' },
      reasons: { type: 'array', items: { type: 'string' }, description: 'Why, one human-readable reason per rule that decided.' },
      constraints: { type: 'object', additionalProperties: true, description: 'Limits the policy attaches to the action (e.g. a maximum amount); empty when none.' },
      vetoDeadline: { type: ['string', 'null'], format: 'date-time', description: 'For HELD_FOR_VETO: when the action becomes executable unless vetoed; otherwise null.' },
      humanApprovalRequired: { type: 'boolean', description: 'True for REQUIRE_HUMAN.' },
      decidedAt: { ...ISO_TIME, description: 'When the evaluator decided (UTC).' },
      executionToken: {
        type: 'string',
        pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$',
        description: 'Only with `allowed: true`: a compact JWS (EdDSA, Ed25519) granting one execution of exactly this action, bound to the tenant, the proposal, the hash of the decision in the ledger and the digest of the action; it expires after `EXECUTION_TOKEN_TTL_SECONDS`.',
      },
    },
    optional: { executionToken: true },
    examples: [SEED_RESPONSE],
  }),
  InvalidParam: { type: 'object', properties: { name: { type: 'string', description: 'The JSON path of the field (e.g. `context.confidenceScore`), `body`, or a header name.' }, reason: { type: 'string' } }, required: ['name', 'reason'] },
  ProblemDetails: {
    type: 'object',
    description: 'An RFC 9457 problem document (`application/problem+json`). Never echoes the rejected values.',
    properties: {
      type: { type: 'string', format: 'uri-reference', description: '`about:blank`, or a Halm problem type such as `/problems/invalid-request`.' },
      title: { type: 'string' },
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: { type: 'string' },
      instance: { type: 'string', format: 'uri-reference', description: 'The request path.' },
      invalidParams: { type: 'array', items: ref('InvalidParam'), description: 'Each bad field once, with the first rule it broke.' },
    },
    required: ['type', 'title', 'status', 'detail'],
    additionalProperties: true,
  },
  ForbiddenProblem: {
    allOf: [ref('ProblemDetails')],
    properties: { requiredRoles: { type: 'array', items: { type: 'string', enum: [...ROLES] }, description: 'The roles of which the key needs one.' } },
  },
  FailClosedProblem: {
    allOf: [ref('ProblemDetails')],
    description: 'The evaluator or the ledger did not answer in time: nothing was recorded, and the body still says `allowed: false` so that a client reading only that fails closed too.',
    properties: { allowed: { const: false }, reasons: { type: 'array', items: { type: 'string' } } },
    required: ['allowed', 'reasons'],
  },
  RateLimitedProblem: {
    allOf: [ref('ProblemDetails')],
    properties: { retryAfter: { type: 'integer', minimum: 1, description: 'Seconds to wait, as in the Retry-After header.' } },
    required: ['retryAfter'],
  },
  ApiKeyView: objectSchema<ApiKeyView>({
    description: 'A key as the admin API lists it: never its secret.',
    properties: {
      id: { type: 'string' },
      roles: { type: 'array', items: { type: 'string', enum: [...ROLES] } },
      label: { type: 'string' },
      createdAt: ISO_TIME,
      revokedAt: { type: ['string', 'null'], format: 'date-time' },
    },
    optional: {},
  }),
  KeyList: objectSchema<KeyList>({ properties: { keys: { type: 'array', items: ref('ApiKeyView') } }, optional: {} }),
  IssuedKey: objectSchema<IssuedKey>({
    description: 'The new key. `secret` is shown this once; only its hash is stored.',
    properties: {
      id: { type: 'string' },
      secret: { type: 'string', description: 'Send it as `Authorization: Bearer <secret>`.' },
      roles: { type: 'array', items: { type: 'string', enum: [...ROLES] } },
      label: { type: 'string' },
    },
    optional: {},
  }),
  CreatedTenant: objectSchema<CreatedTenant>({
    properties: {
      tenantId: { type: 'string' },
      name: { type: 'string' },
      adminKey: objectSchema<CreatedTenant['adminKey']>({
        description: 'The tenant\'s first admin key; its `secret` is shown this once.',
        properties: { id: { type: 'string' }, secret: { type: 'string' }, roles: { type: 'array', items: { type: 'string', enum: [...ROLES] } } },
        optional: {},
      }),
    },
    optional: {},
  }),
  Actor: objectSchema<Actor>({
    description: 'Who did it: an API key (its id, never its secret) or the kernel itself.',
    properties: { kind: { type: 'string', enum: ['key', 'kernel'] }, id: { type: 'string' } },
    optional: {},
  }),
  ProposalHistoryEntry: objectSchema<ProposalHistoryEntry>({
    description: 'One ledger event about the proposal.',
    properties: {
      type: { type: 'string', enum: [...LEDGER_EVENT_TYPES] },
      height: { type: 'integer', minimum: 1, description: 'The event\'s height in the tenant\'s ledger.' },
      hash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'The event\'s hash; an execution token names the one that made the proposal executable.' },
      recordedAt: ISO_TIME,
      by: ref('Actor'),
      reason: { type: 'string' },
    },
    optional: { by: true, reason: true, hash: true },
  }),
  ProposalContext: objectSchema<ProposalContext>({
    properties: { confidenceScore: { type: 'number', minimum: 0, maximum: 1 }, sessionId: { type: 'string' }, agentId: { type: 'string' } },
    optional: { confidenceScore: true, sessionId: true, agentId: true },
  }),
  ProposalView: objectSchema<ProposalView>({
    description: 'A proposal as it stands now: the decision\'s fields, its lifecycle since, and the ledger events that got it there.',
    properties: {
      proposalId: { type: 'string' },
      type: { type: 'string', enum: [...ACTION_TYPES] },
      status: { type: 'string', enum: [...DECISION_STATUSES], description: 'The decision\'s status; `lifecycle` says where the proposal stands now.' },
      lifecycle: enumSchema<ProposalLifecycle>(LIFECYCLES),
      allowed: { type: 'boolean', description: 'True only while the action may execute: allowed outright, approved, or its veto window elapsed.' },
      reasons: { type: 'array', items: { type: 'string' } },
      constraints: { type: 'object', additionalProperties: true },
      vetoDeadline: { type: ['string', 'null'], format: 'date-time' },
      humanApprovalRequired: { type: 'boolean' },
      decidedAt: ISO_TIME,
      updatedAt: { ...ISO_TIME, description: 'When the last event about it was recorded.' },
      payload: { type: 'object', additionalProperties: true },
      context: ref('ProposalContext'),
      history: { type: 'array', items: ref('ProposalHistoryEntry') },
      executionToken: {
        type: 'string',
        description: 'For agent keys, while the proposal may execute and has not: a fresh single-use Ed25519 JWS for `POST /api/kernel/execute`, bound to the event that made it executable (the decision, the approval or the elapsed veto window).',
      },
    },
    optional: { executionToken: true },
  }),
  ExecutionView: objectSchema<ExecutionView>({
    description: 'An execution as its ledger events record it. The first request and every retry with the same idempotency key get this same body.',
    properties: {
      executionId: { type: 'string', pattern: '^exe_[0-9a-f]{32}$', description: 'Derived from the tenant and the idempotency key.' },
      proposalId: { type: 'string' },
      idempotencyKey: { type: 'string' },
      actionType: { type: 'string', enum: [...ACTION_TYPES] },
      status: {
        type: 'string',
        enum: ['SUCCEEDED', 'FAILED', 'IN_DOUBT', 'AWAITING_REPORT', 'IN_PROGRESS'],
        description:
          'SUCCEEDED or FAILED: what the connector or the agent saw. AWAITING_REPORT: the agent performs the effect and reports it. IN_PROGRESS: a connector is still at work (answered with 202 when waiting ran out). IN_DOUBT: the executor stopped midway; the kernel never performs it again.',
      },
      performer: { type: 'string', enum: ['kernel', 'agent'] },
      connector: { type: ['string', 'null'], description: 'The kernel connector that performs it (`webhook`), null when the agent does.' },
      decisionHash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'The hash of the ledger event that made the proposal executable.' },
      result: { type: ['object', 'null'], additionalProperties: true, description: 'What the connector or the agent recorded; for a webhook the final status and each attempt.' },
      started: ref('EventPosition'),
      completed: { oneOf: [ref('EventPosition'), { type: 'null' }] },
    },
    optional: {},
  }),
  EventPosition: objectSchema<ExecutionView['started']>({
    description: 'Where an event is in the tenant\'s ledger.',
    properties: { height: { type: 'integer', minimum: 1 }, hash: { type: 'string', pattern: '^[0-9a-f]{64}$' }, recordedAt: ISO_TIME },
    optional: {},
  }),
  ProposalList: objectSchema<ProposalList>({
    properties: {
      proposals: { type: 'array', items: ref('ProposalView'), description: 'Newest decision first.' },
      next: { type: ['string', 'null'], description: 'Pass as `before` for the next page; null on the last page.' },
    },
    optional: {},
  }),
  VerdictView: objectSchema<VerdictView>({
    description: 'What the verdict recorded: the proposal\'s lifecycle now and the ledger event.',
    properties: {
      proposalId: { type: 'string' },
      lifecycle: enumSchema<ProposalLifecycle>(LIFECYCLES),
      event: objectSchema<VerdictView['event']>({
        properties: { type: { type: 'string', enum: [...LEDGER_EVENT_TYPES] }, height: { type: 'integer', minimum: 1 }, hash: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
        optional: {},
      }),
    },
    optional: {},
  }),
  HealthCheck: objectSchema<HealthCheck>({
    properties: { status: { type: 'string', enum: ['up', 'down'] }, error: { type: 'string', description: 'Why it is down.' } },
    optional: { error: true },
  }),
  Liveness: objectSchema<Liveness>({ properties: { status: { const: 'ok' }, service: { type: 'string' } }, optional: {} }),
  Readiness: objectSchema<Readiness>({
    properties: {
      status: { type: 'string', enum: ['ok', 'unavailable'] },
      service: { type: 'string' },
      checks: { type: 'object', additionalProperties: ref('HealthCheck'), description: 'Each dependency (nats, jetstream, postgres) by name.' },
    },
    optional: {},
  }),
  HealthReport: objectSchema<HealthReport>({
    properties: {
      status: { type: 'string', enum: ['ok', 'unavailable'] },
      service: { type: 'string' },
      live: { const: true },
      ready: { type: 'boolean' },
      checks: { type: 'object', additionalProperties: ref('HealthCheck') },
    },
    optional: {},
  }),
};

// ---------------------------------------------------------------- shared responses

const problemContent = (schema: string, example: Record<string, unknown>): ResponseDoc['content'] => ({
  'application/problem+json': { schema: ref(schema), example },
});

const RESPONSES: Record<string, ResponseDoc> = {
  InvalidRequest: {
    description: 'Bad input: malformed JSON, a body that is not an object, an unknown value, a wrong type, a value out of range, `null` where a value is optional. `invalidParams` names each bad field or parameter.',
    content: problemContent('ProblemDetails', {
      type: '/problems/invalid-request',
      title: 'Bad Request',
      status: 400,
      detail: 'Invalid request: context.confidenceScore must be a number between 0 and 1',
      instance: '/api/kernel/authorize',
      invalidParams: [{ name: 'context.confidenceScore', reason: 'must be a number between 0 and 1' }],
    }),
  },
  Unauthorized: {
    description: 'The Authorization header is missing or malformed, or the key is unknown or revoked.',
    content: problemContent('ProblemDetails', {
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: 'The API key is unknown or revoked',
      instance: '/api/kernel/authorize',
      invalidParams: [{ name: 'Authorization', reason: 'The API key is unknown or revoked' }],
    }),
  },
  Forbidden: {
    description: 'The key lacks the role this call needs (`requiredRoles` says which), or is not the operator key.',
    content: problemContent('ForbiddenProblem', {
      type: 'about:blank',
      title: 'Forbidden',
      status: 403,
      detail: 'This API key lacks the role this call needs: agent',
      instance: '/api/kernel/authorize',
      requiredRoles: ['agent'],
    }),
  },
  NotFound: {
    description: 'No such resource in the key\'s tenant. Another tenant\'s id answers exactly like one that does not exist.',
    content: problemContent('ProblemDetails', { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No such proposal', instance: '/api/kernel/proposals/prop_0000' }),
  },
  ContentTooLarge: {
    description: 'The body is larger than 256 KiB.',
    content: problemContent('ProblemDetails', {
      type: 'about:blank',
      title: 'Content Too Large',
      status: 413,
      detail: 'The request body is larger than this endpoint accepts',
      instance: '/api/kernel/authorize',
      invalidParams: [{ name: 'body', reason: 'is too large' }],
    }),
  },
  UnsupportedMediaType: {
    description: 'The body is not `application/json`.',
    content: problemContent('ProblemDetails', {
      type: 'about:blank',
      title: 'Unsupported Media Type',
      status: 415,
      detail: 'The request body must be application/json',
      instance: '/api/kernel/authorize',
      invalidParams: [{ name: 'content-type', reason: 'must be application/json' }],
    }),
  },
  TooManyRequests: {
    description: 'This client address used up its sandbox requests; wait `Retry-After` seconds.',
    headers: { 'Retry-After': { description: 'Seconds until the next request is accepted.', schema: { type: 'integer', minimum: 1 } } },
    content: problemContent('RateLimitedProblem', {
      type: '/problems/rate-limited',
      title: 'Too Many Requests',
      status: 429,
      detail: 'Too many sandbox requests from this address: 10 per 10 s, bursts of 10. Retry in 1 s',
      instance: '/api/sandbox/authorize',
      retryAfter: 1,
    }),
  },
  Conflict: {
    description: 'The proposal is not in a state this verdict applies to: already settled, not waiting for this kind of verdict, or past its veto deadline.',
    content: problemContent('ProblemDetails', {
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'Cannot veto prop_8f3a1c2e9b7d4f6a0c1e2d3b: the veto window closed at 2026-03-15T11:00:00.000Z',
      instance: '/api/kernel/proposals/prop_8f3a1c2e9b7d4f6a0c1e2d3b/veto',
      lifecycle: 'VETO_WINDOW_ELAPSED',
    }),
  },
  PolicyConflict: {
    description: 'The change does not apply: the version is already in force, or there is no earlier version to roll back to.',
    content: problemContent('ProblemDetails', { type: 'about:blank', title: 'Conflict', status: 409, detail: 'Version 2 is already in force', instance: '/api/policies/2/activate' }),
  },
  LedgerUnavailable: {
    description: 'The ledger did not answer: nothing was recorded; retry.',
    content: problemContent('ProblemDetails', {
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The verdict could not be recorded in the ledger: no responder',
      instance: '/api/kernel/proposals/prop_8f3a1c2e9b7d4f6a0c1e2d3b/approve',
    }),
  },
  ExecutionRefused: {
    description:
      'The execution token was refused: malformed or badly signed (`TOKEN_INVALID`), expired (`TOKEN_EXPIRED`), issued to another tenant (`TOKEN_WRONG_TENANT`), or for another action (`TOKEN_WRONG_ACTION`: the body\'s action is not byte for byte the one authorized). `code` says which. Nothing was executed.',
    content: problemContent('ProblemDetails', {
      type: '/problems/token-wrong-action',
      title: 'Forbidden',
      status: 403,
      detail: 'the action is not the one the execution token was issued for (its digest differs)',
      instance: '/api/kernel/execute',
      code: 'TOKEN_WRONG_ACTION',
    }),
  },
  ExecutionConflict: {
    description:
      'The proposal cannot start an execution: it executed already under another idempotency key (`TOKEN_ALREADY_USED`), or it may not execute (`NOT_EXECUTABLE`: denied, rejected, vetoed, still waiting, or the token names another decision).',
    content: problemContent('ProblemDetails', {
      type: '/problems/token-already-used',
      title: 'Conflict',
      status: 409,
      detail: 'proposal prop_8f3a1c2e9b7d4f6a0c1e2d3b was executed already, by exe_5b0c9e0d4a3f2e1d0c9b8a7f6e5d4c3b',
      instance: '/api/kernel/execute',
      code: 'TOKEN_ALREADY_USED',
    }),
  },
  IdempotencyKeyReused: {
    description: 'The idempotency key was used before for another action. Use a new key for a new action.',
    content: problemContent('ProblemDetails', {
      type: '/problems/idempotency-key-reused',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'idempotency key order-42 was used for another action (execution exe_5b0c9e0d4a3f2e1d0c9b8a7f6e5d4c3b)',
      instance: '/api/kernel/execute',
      code: 'IDEMPOTENCY_KEY_REUSED',
    }),
  },
  Locked: {
    description: 'A lockdown is in force for the tenant or globally: every execution is refused until an admin releases it.',
    content: problemContent('ProblemDetails', {
      type: '/problems/lockdown-active',
      title: 'Locked',
      status: 423,
      detail: 'lockdown lock_1 (tenant) is in force: investigating',
      instance: '/api/kernel/execute',
      code: 'LOCKDOWN_ACTIVE',
    }),
  },
  ExecutorUnavailable: {
    description: 'No executor or ledger answered in time. A retry with the same idempotency key is safe: it never executes twice.',
    content: problemContent('ProblemDetails', { type: '/problems/unavailable', title: 'Service Unavailable', status: 503, detail: 'no service answers executor.req.execute', instance: '/api/kernel/execute', code: 'UNAVAILABLE' }),
  },
  FailClosed: {
    description: 'The policy evaluator or the ledger did not answer: nothing was recorded, and nothing may proceed (fail closed).',
    content: problemContent('FailClosedProblem', {
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The policy evaluator did not answer; nothing may proceed (fail closed)',
      instance: '/api/kernel/authorize',
      allowed: false,
      reasons: ['The policy evaluator did not answer: no responder'],
    }),
  },
};

// ---------------------------------------------------------------- guards

const GUARDS = new Map<DtoClass, GuardDoc>([
  [ApiKeyGuard, { security: [{ apiKey: [] }], responses: { 401: 'Unauthorized', 403: 'Forbidden' } }],
  [OperatorGuard, { security: [{ operatorKey: [] }], responses: { 401: 'Unauthorized', 403: 'Forbidden' } }],
  [SandboxGuard, { responses: { 404: 'NotFound', 429: 'TooManyRequests' } }],
  [LockdownAdminGuard, LOCKDOWN_GUARD_DOC],
]);

// ---------------------------------------------------------------- routes

const VERSION_PARAMETER = { description: 'A published version number (a whole number from 1); anything else is a 400.', example: 2 };

const policyChangeDescription =
  'The change goes through the gate as a `policy:update` proposal (the admin\'s key is its agent, at confidence 1), decided by the manifest in force like any other action and recorded in the ledger. Under the default manifest it needs an approver (REQUIRE_HUMAN): approve it with `POST /api/kernel/proposals/{proposalId}/approve` and the kernel carries it out. The answer\'s `version` is set when the change took effect at once (an ALLOW), and null until then.';

const PUBLISH_INVALID: ResponseDoc = {
  description:
    'Bad input as for every body (see InvalidRequest), or a manifest that does not compile: `invalidParams` names each bad field by its path in the body (`manifest.rules.0.when`, or `source.…` for source text) with the CEL error and its position.',
  content: problemContent('ProblemDetails', {
    type: '/problems/invalid-request',
    title: 'Bad Request',
    status: 400,
    detail: 'Invalid request: manifest.rules.0.when CEL: Unexpected token: GT (line 1, column 17)',
    instance: '/api/policies',
    invalidParams: [{ name: 'manifest.rules.0.when', reason: 'CEL: Unexpected token: GT (line 1, column 17)' }],
  }),
};

const authorizeDescription =
  'Ask before any side effect. The gateway validates the request, names the proposal, has the policy evaluator decide it against the tenant\'s active manifest and the ledger record it, and answers only once the decision is durably recorded. Proceed only if `allowed` is true.';

const routes = (settings: GatewaySettings): Record<string, RouteDoc> => ({
  'POST /api/kernel/authorize': {
    operationId: 'authorize',
    summary: 'Authorize an action',
    description: `${authorizeDescription} The key decides the tenant.`,
    tags: ['Kernel'],
    requestExamples: AUTHORIZE_EXAMPLES,
    success: { description: 'The decision, recorded in the tenant\'s ledger.', content: json(ref('AuthorizeResponse'), { example: SEED_RESPONSE }) },
    responses: { 503: 'FailClosed' },
  },
  'POST /api/kernel/execute': {
    operationId: 'execute',
    summary: 'Execute an authorized action',
    description: [
      'Runs an action through the execution gate with the `executionToken` its authorization (or, after approval, `GET /api/kernel/proposals/{proposalId}`) answered. The token must be valid, unexpired, issued to this tenant and bound to exactly this action; no lockdown may be in force; a proposal executes once.',
      'The `idempotencyKey` makes one key one effect: a retry with the same key, also at the same moment on another executor instance, gets the first answer, body for body. `webhook:send` is performed by the kernel (a signed HTTP POST, retried on 5xx and timeouts; see docs/connectors.md); for every other type the agent performs the effect and reports it with `POST /api/kernel/executions/{executionId}/report`. The start and the end of every execution are ledger events referencing the decision\'s hash.',
    ].join('\n\n'),
    tags: ['Kernel'],
    requestExamples: {
      webhook: {
        summary: 'A webhook the kernel sends',
        value: { executionToken: 'eyJhbGciOiJFZERTQSIs…', idempotencyKey: 'order-42', action: { type: 'webhook:send', payload: { url: 'https://hooks.example.com/orders', event: 'order.paid', body: { orderId: 42 } } } },
      },
    },
    success: {
      description: 'The execution: SUCCEEDED or FAILED for a kernel connector, AWAITING_REPORT when the agent performs it.',
      content: json(ref('ExecutionView')),
    },
    responses: {
      202: { description: 'A duplicate waited for the first request\'s connector, which is still at work (`status: IN_PROGRESS`); retry with the same key later.', content: json(ref('ExecutionView')) },
      403: 'ExecutionRefused',
      409: 'ExecutionConflict',
      422: 'IdempotencyKeyReused',
      423: 'Locked',
      503: 'ExecutorUnavailable',
    },
  },
  'POST /api/kernel/executions/:executionId/report': {
    operationId: 'reportExecution',
    summary: 'Report the outcome of an execution the agent performed',
    description: 'For action types the agent performs itself (all but `webhook:send`): records how the effect ended as the execution\'s ExecutionCompleted event. The same report again answers the same; a different one is a 409.',
    tags: ['Kernel'],
    parameters: { executionId: { description: 'The `executionId` the execute call answered.', example: 'exe_5b0c9e0d4a3f2e1d0c9b8a7f6e5d4c3b' } },
    requestExamples: { succeeded: { summary: 'The transfer went through', value: { outcome: 'SUCCEEDED', detail: { transferId: 'tr_981' } } } },
    success: { description: 'The execution, ended.', content: json(ref('ExecutionView')) },
    responses: { 404: 'NotFound', 409: 'Conflict', 503: 'ExecutorUnavailable' },
  },
  'GET /api/kernel/executions/:executionId': {
    operationId: 'getExecution',
    summary: 'Get an execution',
    description: 'An execution as the ledger holds it, within the key\'s tenant.',
    tags: ['Kernel'],
    parameters: { executionId: { description: 'The execution\'s id.', example: 'exe_5b0c9e0d4a3f2e1d0c9b8a7f6e5d4c3b' } },
    success: { description: 'The execution.', content: json(ref('ExecutionView')) },
    responses: { 404: 'NotFound', 503: 'ExecutorUnavailable' },
  },
  'GET /api/kernel/executions': {
    operationId: 'getExecutionByKey',
    summary: 'Get the execution an idempotency key names',
    description: 'The same as `GET /api/kernel/executions/{executionId}`, for agents that kept the key rather than the id.',
    tags: ['Kernel'],
    parameters: { idempotencyKey: { description: 'The idempotency key of the execute call.', example: 'order-42' } },
    success: { description: 'The execution.', content: json(ref('ExecutionView')) },
    responses: { 404: 'NotFound', 503: 'ExecutorUnavailable' },
  },
  'POST /api/sandbox/authorize': {
    operationId: 'authorizeInSandbox',
    summary: 'Authorize an action in the public sandbox',
    description: [
      `The same request and answer as \`POST /api/kernel/authorize\`, without a key: decided and recorded for the public \`sandbox\` tenant under the default policy. For trying Halm out (the docs page's playground uses it), not for real agents.`,
      `Rate-limited per client IP: ${settings.SANDBOX_RATE_LIMIT} requests per ${settings.SANDBOX_RATE_WINDOW_MS / 1000} s, bursts of ${settings.SANDBOX_BURST} (counted by each gateway instance). Answers 404 when the deployment disabled the sandbox (\`SANDBOX_ENABLED=false\`).`,
    ].join('\n\n'),
    tags: ['Sandbox'],
    requestExamples: AUTHORIZE_EXAMPLES,
    success: { description: 'The decision, recorded in the sandbox tenant\'s ledger.', content: json(ref('AuthorizeResponse'), { example: SEED_RESPONSE }) },
    responses: { 503: 'FailClosed' },
  },
  'GET /api/kernel/proposals': {
    operationId: 'listProposals',
    summary: 'List proposals',
    description: 'The tenant\'s proposals, newest decision first, from the ledger\'s projection; filter by lifecycle (e.g. `PENDING_APPROVAL,HELD_FOR_VETO` for what awaits approvers).',
    tags: ['Kernel'],
    parameters: {
      lifecycle: { description: 'Only proposals in these lifecycles, comma-separated (`?lifecycle=PENDING_APPROVAL,HELD_FOR_VETO`).', example: ['PENDING_APPROVAL', 'HELD_FOR_VETO'] },
      limit: { description: 'Page size, 1 to 200 (default 50).', example: 50 },
      before: { description: 'Only proposals decided before this ISO 8601 time, or the `next` value of an earlier page.' },
    },
    success: { description: 'One page of proposals.', content: json(ref('ProposalList')) },
  },
  'GET /api/kernel/proposals/:proposalId': {
    operationId: 'getProposal',
    summary: 'Get a proposal, or wait for it to change',
    description: 'Where a proposal stands now. With `waitMs`, while the proposal is open (PENDING_APPROVAL or HELD_FOR_VETO) or not projected yet (its decision was just recorded), the call waits up to `waitMs` for it to change, then answers its state either way (404 if it never appeared).',
    tags: ['Kernel'],
    parameters: {
      proposalId: { description: 'The `proposalId` the authorize call answered.', example: 'prop_8f3a1c2e9b7d4f6a0c1e2d3b' },
      waitMs: { description: 'Long-poll: wait up to this many milliseconds (0 to 30000) for an open proposal to change.', example: 10_000 },
    },
    success: { description: 'The proposal.', content: json(ref('ProposalView')) },
    responses: { 404: 'NotFound' },
  },
  'POST /api/kernel/proposals/:proposalId/approve': {
    operationId: 'approveProposal',
    summary: 'Approve a proposal',
    description: 'Lets a REQUIRE_HUMAN proposal proceed: its lifecycle becomes APPROVED and it may execute. Recorded in the ledger as ProposalApproved; a second verdict on the same proposal is a 409.',
    tags: ['Approvals'],
    parameters: { proposalId: { description: 'The proposal\'s id.', example: 'prop_8f3a1c2e9b7d4f6a0c1e2d3b' } },
    requestExamples: { reason: { summary: 'With a reason for the ledger', value: { reason: 'Checked with finance' } } },
    success: { description: 'The verdict, recorded in the ledger.', content: json(ref('VerdictView')) },
    responses: { 404: 'NotFound', 409: 'Conflict', 503: 'LedgerUnavailable' },
  },
  'POST /api/kernel/proposals/:proposalId/reject': {
    operationId: 'rejectProposal',
    summary: 'Reject a proposal',
    description: 'Refuses a REQUIRE_HUMAN proposal: its lifecycle becomes REJECTED. Recorded in the ledger as ProposalRejected.',
    tags: ['Approvals'],
    parameters: { proposalId: { description: 'The proposal\'s id.', example: 'prop_8f3a1c2e9b7d4f6a0c1e2d3b' } },
    requestExamples: { reason: { summary: 'With a reason for the ledger', value: { reason: 'Recipient not on the allow list' } } },
    success: { description: 'The verdict, recorded in the ledger.', content: json(ref('VerdictView')) },
    responses: { 404: 'NotFound', 409: 'Conflict', 503: 'LedgerUnavailable' },
  },
  'POST /api/kernel/proposals/:proposalId/veto': {
    operationId: 'vetoProposal',
    summary: 'Veto a proposal',
    description: 'Stops a HELD_FOR_VETO proposal before its `vetoDeadline`: its lifecycle becomes VETOED. After the deadline the window has elapsed and the veto is a 409. Recorded in the ledger as ProposalVetoed.',
    tags: ['Approvals'],
    parameters: { proposalId: { description: 'The proposal\'s id.', example: 'prop_8f3a1c2e9b7d4f6a0c1e2d3b' } },
    requestExamples: { reason: { summary: 'With a reason for the ledger', value: { reason: 'Model change not reviewed' } } },
    success: { description: 'The verdict, recorded in the ledger.', content: json(ref('VerdictView')) },
    responses: { 404: 'NotFound', 409: 'Conflict', 503: 'LedgerUnavailable' },
  },
  'GET /api/policies': {
    operationId: 'listPolicies',
    summary: 'List the policy versions',
    description: 'Every published version of the tenant\'s policy manifest, from the ledger\'s record, with the version in force and the one a rollback returns to.',
    tags: ['Policies'],
    success: { description: 'The versions.', content: json(ref('PolicyList')) },
  },
  'GET /api/policies/:version': {
    operationId: 'getPolicy',
    summary: 'Show a policy version',
    description: 'One published version with its whole manifest, as the ledger recorded it.',
    tags: ['Policies'],
    parameters: { version: VERSION_PARAMETER },
    success: { description: 'The version and its manifest.', content: json(ref('PolicyVersion')) },
    responses: { 400: 'InvalidRequest', 404: 'NotFound' },
  },
  'GET /api/policies/:from/diff/:to': {
    operationId: 'diffPolicies',
    summary: 'Diff two policy versions',
    description: 'What changed from one published version to another, rule by rule and budget by budget.',
    tags: ['Policies'],
    parameters: {
      from: { description: 'The earlier version (any published version).', example: 2 },
      to: { description: 'The later version (any published version).', example: 3 },
    },
    success: { description: 'The changes.', content: json(ref('PolicyDiff')) },
    responses: { 400: 'InvalidRequest', 404: 'NotFound' },
  },
  'POST /api/policies': {
    operationId: 'publishPolicy',
    summary: 'Publish a policy version',
    description: `Validates and compiles a manifest (as a document in \`manifest\`, or as YAML or JSON text in \`source\`) and proposes to publish it as the next version. Publishing does not put it in force: activate it afterwards. ${policyChangeDescription} ${MANIFEST_REFERENCE}`,
    tags: ['Policies'],
    requestExamples: {
      document: { summary: 'A manifest as a JSON document', value: { manifest: EXAMPLE_MANIFEST, justification: 'Payments above 10,000 need an approver' } },
      source: { summary: 'The same manifest as YAML source', value: { source: EXAMPLE_MANIFEST_SOURCE } },
    },
    success: { description: 'The policy:update decision, and the version once published.', content: json(ref('PolicyChange'), { example: EXAMPLE_POLICY_CHANGE }) },
    responses: { 400: PUBLISH_INVALID, 503: 'FailClosed' },
  },
  'POST /api/policies/:version/activate': {
    operationId: 'activatePolicy',
    summary: 'Activate a policy version',
    description: `Proposes to put a published version in force. ${policyChangeDescription}`,
    tags: ['Policies'],
    parameters: { version: VERSION_PARAMETER },
    requestExamples: { justification: { summary: 'With a reason for the ledger', value: { justification: 'Stricter payment rules from today' } } },
    success: { description: 'The policy:update decision, and the version once in force.', content: json(ref('PolicyChange'), { example: EXAMPLE_POLICY_CHANGE }) },
    responses: { 404: 'NotFound', 409: 'PolicyConflict', 503: 'FailClosed' },
  },
  'POST /api/policies/rollback': {
    operationId: 'rollbackPolicy',
    summary: 'Roll back to the previous policy version',
    description: `Proposes to activate again the version the one in force replaced (\`previousVersion\` of the list): an activation like any other. ${policyChangeDescription}`,
    tags: ['Policies'],
    requestExamples: { justification: { summary: 'With a reason for the ledger', value: { justification: 'Version 3 blocks the night batch' } } },
    success: { description: 'The policy:update decision, and the version once in force.', content: json(ref('PolicyChange'), { example: EXAMPLE_POLICY_CHANGE }) },
    responses: { 409: 'PolicyConflict', 503: 'FailClosed' },
  },
  'POST /api/admin/tenants': {
    operationId: 'createTenant',
    summary: 'Create a tenant',
    description: 'Creates a tenant with a first admin key. Needs the deployment\'s operator key (`OPERATOR_API_KEY`).',
    tags: ['Admin'],
    requestExamples: { acme: { summary: 'A tenant named acme', value: { name: 'acme' } } },
    success: { description: 'The tenant and its first admin key (the secret is shown this once).', content: json(ref('CreatedTenant')) },
  },
  'GET /api/admin/keys': {
    operationId: 'listKeys',
    summary: 'List the tenant\'s API keys',
    tags: ['Admin'],
    success: { description: 'Every key of the tenant, revoked ones included; never a secret.', content: json(ref('KeyList')) },
  },
  'POST /api/admin/keys': {
    operationId: 'issueKey',
    summary: 'Issue an API key',
    tags: ['Admin'],
    requestExamples: { agent: { summary: 'A key for an agent', value: { roles: ['agent'], label: 'billing agent' } } },
    success: { description: 'The new key (the secret is shown this once).', content: json(ref('IssuedKey')) },
  },
  'DELETE /api/admin/keys/:keyId': {
    operationId: 'revokeKey',
    summary: 'Revoke an API key',
    description: 'Every gateway drops the key from its cache at once. Revoking twice keeps the first time.',
    tags: ['Admin'],
    parameters: { keyId: { description: 'The key\'s `id`.', example: 'key_3f2a9c1b7d4e' } },
    success: { description: 'Revoked.' },
    responses: { 404: 'NotFound' },
  },
  ...AUDIT_ROUTES,
  ...REPLAY_ROUTES,
  ...LOCKDOWN_ROUTES,
  ...INTEGRITY_ROUTES,
  ...PAGE_ROUTES,
  'GET /api/openapi.json': {
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI 3.1 document',
    description: 'Generated from the gateway\'s code at start: its routes, their parameters and the validation rules of their request bodies.',
    tags: ['Docs'],
    success: { description: 'The document.', content: json({ type: 'object', required: ['openapi', 'info', 'paths'], properties: { openapi: { const: '3.1.0' } } }) },
  },
  'GET /docs': {
    operationId: 'getDocsPage',
    summary: 'The API docs page with the playground',
    description: 'A self-contained HTML page: this reference, and a playground that sends a request to the sandbox (or, with your key, to your tenant) and shows the decision.',
    tags: ['Docs'],
    success: { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } },
  },
  'GET /docs/assets/docs.js': {
    operationId: 'getDocsScript',
    summary: 'The docs page\'s script',
    tags: ['Docs'],
    success: { description: 'JavaScript.', content: { 'text/javascript': { schema: { type: 'string' } } } },
  },
  'GET /docs/assets/docs.css': {
    operationId: 'getDocsStyles',
    summary: 'The docs page\'s styles',
    tags: ['Docs'],
    success: { description: 'CSS.', content: { 'text/css': { schema: { type: 'string' } } } },
  },
  'GET /health': {
    operationId: 'getHealth',
    summary: 'Liveness and readiness',
    description: 'Each dependency\'s state (NATS, JetStream, PostgreSQL).',
    tags: ['Operations'],
    success: { status: 200, description: 'Live and ready.', content: json(ref('HealthReport')) },
    responses: { 503: { description: 'Not ready: a dependency is down, or the gateway is shutting down.', content: json(ref('HealthReport')) } },
  },
  'GET /health/live': {
    operationId: 'getLiveness',
    summary: 'Liveness',
    description: 'Answers while the process runs.',
    tags: ['Operations'],
    success: { description: 'The process runs.', content: json(ref('Liveness')) },
  },
  'GET /health/ready': {
    operationId: 'getReadiness',
    summary: 'Readiness',
    description: 'Answers 200 when every dependency answers and the gateway is not shutting down.',
    tags: ['Operations'],
    success: { status: 200, description: 'Ready.', content: json(ref('Readiness')) },
    responses: { 503: { description: 'Not ready.', content: json(ref('Readiness')) } },
  },
  'GET /metrics': {
    operationId: 'getMetrics',
    summary: 'Prometheus metrics',
    description: 'HTTP and NATS latency histograms, decisions by status, and Node\'s defaults, in the Prometheus text format.',
    tags: ['Operations'],
    success: { status: 200, description: 'The metrics.', content: { 'text/plain': { schema: { type: 'string' } } } },
  },
});

const PROPERTY_DESCRIPTIONS: Record<string, Record<string, string>> = {
  ...LOCKDOWN_PROPERTY_DESCRIPTIONS,
  ...REPLAY_PROPERTY_DESCRIPTIONS,
  AuthorizeRequest: {
    type: 'The kind of side effect the agent asks about.',
    payload: 'Action-specific data; the fields it needs depend on `type` (e.g. `amount` and `recipient` for `ledger:write`).',
    justification: 'Why the agent wants to do it.',
    context: 'What the agent knows about itself.',
  },
  AuthorizeContext: {
    confidenceScore: 'The agent\'s confidence, 0.0 – 1.0.',
    sessionId: 'The conversation or run the action belongs to.',
    agentId: 'Which agent asks.',
  },
  CreateTenant: { name: 'The tenant\'s display name.' },
  PublishPolicy: {
    manifest: 'The manifest as a JSON document. Give this or `source`.',
    source: 'The manifest as YAML or JSON text (line and column of errors refer to it). Give this or `manifest`; when both are given, `source` is published.',
    justification: 'Why, for the ledger (the policy:update proposal\'s justification).',
  },
  ActivatePolicy: { justification: 'Why, for the ledger (the policy:update proposal\'s justification).' },
  ExecuteRequest: {
    executionToken: 'The token the authorization answered (or `GET /api/kernel/proposals/{proposalId}` after approval).',
    idempotencyKey: 'Chosen by the agent, 1 to 255 printable ASCII characters: one key, one effect.',
    action: 'The action exactly as authorized: its digest must match the token\'s.',
  },
  ExecuteAction: { type: 'The action type, as authorized.', payload: 'The payload, as authorized.' },
  ExecutionReport: { outcome: 'How the effect ended.', detail: 'What the agent wants on the record (ids, error messages); JSON.' },
  IssueKey: { roles: 'What the key may do: `agent` authorizes, `approver` approves and vetoes, `admin` manages keys, `auditor` reads.', label: 'A note for humans.' },
};

/** The gateway's API description, with this deployment's sandbox limits in the prose. */
export const describeGatewayApi = (settings: GatewaySettings, version: string): ApiDescription => ({
  info: {
    title: 'Halm API',
    version,
    summary: 'The runtime governance kernel for AI agents.',
    description:
      'Before an agent does anything with a side effect it asks Halm: `POST /api/kernel/authorize`. Halm decides against the tenant\'s versioned policy, records the proposal and the decision in a tamper-evident ledger, and answers. Errors are RFC 9457 problem details (`application/problem+json`) whose `invalidParams` name each bad field.',
    license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
  },
  servers: [{ url: '/', description: 'This gateway' }],
  tags: [
    { name: 'Kernel', description: 'Authorize actions and follow their proposals. Needs an API key.' },
    { name: 'Approvals', description: 'Approvers settle what waits for them. Each verdict is a ledger event.' },
    { name: 'Sandbox', description: 'Try the kernel without a key, on the public sandbox tenant.' },
    { name: 'Policies', description: 'The tenant\'s policy manifests: immutable versions, listed, shown and diffed; published, activated and rolled back through the gate as `policy:update` proposals.' },
    { name: 'Admin', description: 'Tenants, API keys and lockdowns.' },
    { name: 'Audit', description: 'For auditor (and admin) keys: the ledger\'s events with their Merkle leaf hashes, signed checkpoints, inclusion and consistency proofs (RFC 9162), the public keys, and replay verification and what-if of the recorded decisions.' },
    INTEGRITY_TAG,
    { name: 'Docs', description: 'This document and the docs page.' },
    { name: 'Pages', description: 'The transparency page and the operations console, and the session route the console signs in with.' },
    { name: 'Operations', description: 'Health and metrics, as every Halm service answers them.' },
  ],
  routes: routes(settings),
  guards: GUARDS,
  responses: RESPONSES,
  schemas: SCHEMAS,
  securitySchemes: {
    apiKey: { type: 'http', scheme: 'bearer', description: 'A tenant\'s API key: `Authorization: Bearer halm_…`. The key decides the tenant; its roles (agent, approver, admin, auditor) decide what it may do.' },
    operatorKey: { type: 'http', scheme: 'bearer', description: 'The deployment\'s operator key (`OPERATOR_API_KEY` of the gateway).' },
  },
  bodyResponses: { 400: 'InvalidRequest', 413: 'ContentTooLarge', 415: 'UnsupportedMediaType' },
  invalidRequestResponse: 'InvalidRequest',
  propertyDescriptions: PROPERTY_DESCRIPTIONS,
  // The payload rules of each action type (PAYLOAD_CLASSES, checked by the authorize handler) as
  // JSON Schema conditionals on `type`: one component per payload class.
  extendSchemas: (dtos: DtoSchemas) => ({
    // `manifest` is required only without `source` (a @ValidateIf the derivation cannot read as such), and is a document.
    PublishPolicy: {
      properties: {
        ...(dtos.components['PublishPolicy']?.['properties'] as Record<string, JsonSchema> | undefined),
        manifest: { type: 'object', description: PROPERTY_DESCRIPTIONS['PublishPolicy']?.['manifest'] },
      },
      required: undefined,
      anyOf: [{ required: ['manifest'] }, { required: ['source'] }],
    },
    AuthorizeRequest: {
      allOf: Object.entries(PAYLOAD_CLASSES).map(([type, payloadClass]) => ({
        if: { properties: { type: { const: type } }, required: ['type'] },
        then: { properties: { payload: dtos.ref(payloadClass) } },
      })),
    },
  }),
  customRules: {
    // ListProposalsQuery.before: an ISO time or an earlier page's `next`, checked by parseCursor.
    isProposalCursor: () => ({ type: 'string' }),
  },
});
