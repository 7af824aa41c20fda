import { LOCKDOWN_SCOPES, LOCKDOWN_TRIGGERS, type EngageLockdownReply, type LockdownRecord, type ReleaseLockdownReply } from '@halm/contracts';
import type { JsonSchema } from '../openapi/dto-schemas';
import type { GuardDoc, ResponseDoc, RouteDoc } from '../openapi/openapi-document';
import { objectSchema, ref } from '../openapi/typed-schema';
import type { LockdownStatusView } from './lockdown.dto';

/* The lockdown routes' part of the OpenAPI description (apps/gateway/src/openapi/gateway-api.ts spreads it in). */

const EXAMPLE_LOCKDOWN: LockdownRecord = {
  lockdownId: 'lck_5b0c8e2f9a1d4c3b7e6f0a21',
  scope: 'tenant',
  tenantId: 'ten_3f2a9c1b7d4e5f60',
  trigger: 'MANUAL',
  reason: 'Payments to an unknown recipient, investigating',
  by: { kind: 'key', id: 'key_3f2a9c1b7d4e' },
  engagedAt: '2026-03-15T10:00:00.000Z',
  evidence: {},
};

export const LOCKDOWN_GUARD_DOC: GuardDoc = { security: [{ apiKey: [] }, { operatorKey: [] }], responses: { 401: 'Unauthorized', 403: 'Forbidden' } };

export const LOCKDOWN_SCHEMAS: Record<string, JsonSchema> = {
  LockdownRecord: objectSchema<LockdownRecord>({
    description: 'A lockdown in force: while it is, no decision is ALLOW and every execution is refused in its scope.',
    properties: {
      lockdownId: { type: 'string' },
      scope: { type: 'string', enum: [...LOCKDOWN_SCOPES], description: '`global`: every tenant; `tenant`: `tenantId` only.' },
      tenantId: { type: ['string', 'null'], description: 'The tenant of a tenant lockdown; null for the global one.' },
      trigger: { type: 'string', enum: [...LOCKDOWN_TRIGGERS], description: 'MANUAL, or the automatic trigger that engaged it (docs/lockdown.md).' },
      reason: { type: 'string' },
      by: ref('Actor'),
      engagedAt: { type: 'string', format: 'date-time' },
      evidence: { type: 'object', additionalProperties: true, description: 'What led to it (the anomalies counted, an integrity finding); empty for a manual lockdown, and for the global one when a tenant key asks.' },
    },
    optional: {},
    examples: [EXAMPLE_LOCKDOWN],
  }),
  EngageLockdownReply: objectSchema<EngageLockdownReply>({
    properties: {
      engaged: { type: 'boolean', description: 'False when a lockdown of that scope was in force already: `lockdown` is that one, and nothing changed.' },
      lockdown: ref('LockdownRecord'),
      tenants: { type: 'integer', minimum: 0, description: 'How many tenants\' ledgers record the LockdownEngaged event.' },
    },
    optional: {},
  }),
  ReleaseLockdownReply: objectSchema<ReleaseLockdownReply>({
    properties: {
      released: { type: 'boolean', description: 'False when no lockdown of that scope was in force: nothing changed.' },
      lockdown: { anyOf: [ref('LockdownRecord'), { type: 'null' }], description: 'The lockdown released, or null.' },
      tenants: { type: 'integer', minimum: 0, description: 'How many tenants\' ledgers record the LockdownReleased event.' },
    },
    optional: {},
  }),
  LockdownStatusView: objectSchema<LockdownStatusView>({
    properties: {
      active: { type: 'boolean', description: 'True when a lockdown covers the key\'s tenant (or, for the operator, the `tenantId` asked about; without one, when the global lockdown is in force).' },
      global: { anyOf: [ref('LockdownRecord'), { type: 'null' }], description: 'The global lockdown, or null.' },
      tenants: { type: 'array', items: ref('LockdownRecord'), description: 'The tenant lockdowns in force: the key\'s own tenant\'s (at most one); for the operator, every tenant\'s, or the one of `tenantId`.' },
    },
    optional: {},
  }),
};

export const LOCKDOWN_PROPERTY_DESCRIPTIONS: Record<string, Record<string, string>> = {
  LockdownChange: {
    scope: '`tenant`: the key\'s own tenant (the operator names it in `tenantId`); `global`: every tenant, operator key only.',
    reason: 'Why, for the ledger: recorded in the LockdownEngaged or LockdownReleased event with the key that asked.',
    tenantId: 'With the operator key and `scope: "tenant"`: which tenant. A tenant key may name only its own.',
  },
};

const UNAVAILABLE: ResponseDoc = {
  description: 'The lockdown controller or the ledger did not answer. An engage that got this far may already be in force: ask again (repeating it records nothing twice).',
  content: {
    'application/problem+json': {
      schema: ref('ProblemDetails'),
      example: { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'The lockdown controller could not do it: no service answers lockdown.req.engage', instance: '/api/admin/lockdown' },
    },
  },
};

const who =
  'An admin key acts on its own tenant (`scope: "tenant"`); the operator key (`OPERATOR_API_KEY`) also on the global lockdown and on any tenant named in `tenantId`.';

export const LOCKDOWN_ROUTES: Record<string, RouteDoc> = {
  'POST /api/admin/lockdown': {
    operationId: 'engageLockdown',
    summary: 'Engage a lockdown',
    description: `Locks the tenant (or, with the operator key, every tenant) down at once: from now on no decision is ALLOW and every execution is refused, until someone releases it with a reason. Recorded as LockdownEngaged (trigger MANUAL) in each affected tenant's ledger. ${who}`,
    tags: ['Admin'],
    requestExamples: {
      tenant: { summary: 'Lock the key\'s own tenant down', value: { scope: 'tenant', reason: 'Payments to an unknown recipient, investigating' } },
      global: { summary: 'Lock every tenant down (operator key)', value: { scope: 'global', reason: 'Incident 42: signing key exposure suspected' } },
    },
    success: { description: 'The lockdown in force.', content: { 'application/json': { schema: ref('EngageLockdownReply') } } },
    responses: { 404: 'NotFound', 503: UNAVAILABLE },
  },
  'POST /api/admin/lockdown/release': {
    operationId: 'releaseLockdown',
    summary: 'Release a lockdown',
    description: `Ends the lockdown of that scope, only by hand and only with a reason: recorded as LockdownReleased in each affected tenant's ledger first, then lifted. ${who}`,
    tags: ['Admin'],
    requestExamples: { tenant: { summary: 'Release the key\'s own tenant', value: { scope: 'tenant', reason: 'Recipient verified with finance' } } },
    success: { description: 'What was released.', content: { 'application/json': { schema: ref('ReleaseLockdownReply') } } },
    responses: { 404: 'NotFound', 503: UNAVAILABLE },
  },
  'GET /api/admin/lockdown': {
    operationId: 'getLockdown',
    summary: 'Lockdown status',
    description: `Whether a lockdown is in force, which, since when, why and who engaged it. ${who}`,
    tags: ['Admin'],
    parameters: { tenantId: { description: 'Operator key only: the tenant to report on (a tenant key always gets its own).', example: 'ten_3f2a9c1b7d4e5f60' } },
    success: { description: 'The lockdowns in force.', content: { 'application/json': { schema: ref('LockdownStatusView') } } },
    responses: { 503: UNAVAILABLE },
  },
};
