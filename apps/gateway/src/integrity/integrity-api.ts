import { INCIDENT_STATUSES, INVARIANT_NAMES, type IncidentEvidenceEvent, type IncidentView, type IntegrityRunView, type InvariantResultView } from '@halm/contracts';
import type { JsonSchema } from '../openapi/dto-schemas';
import type { ResponseDoc, RouteDoc } from '../openapi/openapi-document';
import { objectSchema, ref } from '../openapi/typed-schema';
import type { PublicIntegrityView, PublicInvariantsView, PublicInvariantView } from './public-integrity';

/* The integrity routes' part of the OpenAPI description (apps/gateway/src/openapi/gateway-api.ts spreads it in). */

export const INTEGRITY_TAG = {
  name: 'Integrity',
  description: 'The six kernel invariants, checked by the integrity monitor: the public status (no key, no tenant data), checks on demand, the runs and the incidents.',
};

const ISO_TIME: JsonSchema = { type: 'string', format: 'date-time' };
const HEX_HASH: JsonSchema = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const json = (schema: JsonSchema, example?: unknown): ResponseDoc['content'] => ({ 'application/json': { schema, ...(example === undefined ? {} : { example }) } });

const EXAMPLE_RUN: IntegrityRunView = {
  runId: 'irun_5b0c8e2f9a1d4c3b7e6f0a21',
  startedAt: '2026-03-15T10:05:00.000Z',
  finishedAt: '2026-03-15T10:05:00.184Z',
  durationMs: 184,
  eventsExamined: 42,
  results: INVARIANT_NAMES.map((invariant) => ({ invariant, passing: invariant !== 'NO_SIDE_EFFECT_WITHOUT_ALLOW', eventsExamined: 42 })),
};

const EXAMPLE_INCIDENT: IncidentView = {
  incidentId: 'inc_9f2c1e4b7a3d5c6e8f0a1b2c',
  tenantId: 'ten_3f2a9c1b7d4e5f60',
  invariant: 'NO_SIDE_EFFECT_WITHOUT_ALLOW',
  openedAt: '2026-03-15T10:05:00.180Z',
  status: 'OPEN',
  summary: 'An execution of proposal prop_8f3a1c2e9b7d4f6a0c1e2d3b started at height 7 of tenant ten_3f2a9c1b7d4e5f60 without an ALLOW: the chain holds no ALLOW decision, approval or elapsed veto window for it, or it was executed already',
  evidence: {
    events: [{ height: 7, eventId: 'exe_4c1d….started', hash: 'b1946ac92492d2347c6235b4d2611184b1946ac92492d2347c6235b4d2611184', problem: 'proposal prop_8f3a1c2e9b7d4f6a0c1e2d3b was not executable: …' }],
    code: 'EXECUTION_NOT_ALLOWED',
    proposalId: 'prop_8f3a1c2e9b7d4f6a0c1e2d3b',
  },
};

export const INTEGRITY_SCHEMAS: Record<string, JsonSchema> = {
  PublicIntegrity: objectSchema<PublicIntegrityView>({
    description: 'The transparency page\'s live status, aggregated over every tenant (docs/integrity.md defines each field).',
    properties: {
      enforcementActive: { type: 'boolean', description: 'An integrity monitor finished a check within two of its intervals (and a minute), the lockdown state can be read and the ledger answers.' },
      invariantsPassing: { type: 'boolean', description: 'A check has run and no incident is open, for any invariant in any tenant.' },
      hashChainValid: { type: 'boolean', description: 'A check has run and no open incident is a hash-chain failure (an event that does not hash or link, a checkpoint that does not match, a truncated chain).' },
      lockdownActive: { type: 'boolean', description: 'A lockdown, global or of any tenant, is in force (also when the lockdown state cannot be read: executors then refuse everything).' },
      lastIntegrityCheck: { type: ['string', 'null'], format: 'date-time', description: 'When the latest check finished; null before the first.' },
    },
    optional: {},
    examples: [{ enforcementActive: true, invariantsPassing: true, hashChainValid: true, lockdownActive: false, lastIntegrityCheck: '2026-03-15T10:05:00.184Z' }],
  }),
  PublicInvariant: objectSchema<PublicInvariantView>({
    properties: {
      name: { type: 'string', enum: [...INVARIANT_NAMES] },
      description: { type: 'string', description: 'The transparency page\'s words.' },
      passing: { type: ['boolean', 'null'], description: 'No incident of this invariant is open; null before the first check.' },
      lastCheckedAt: { type: ['string', 'null'], format: 'date-time', description: 'When the latest check (which covers all six) finished.' },
    },
    optional: {},
  }),
  PublicInvariants: objectSchema<PublicInvariantsView>({
    properties: { invariants: { type: 'array', items: ref('PublicInvariant'), minItems: 6, maxItems: 6, description: 'The six, in the transparency page\'s order.' } },
    optional: {},
  }),
  InvariantResult: objectSchema<InvariantResultView>({
    properties: {
      invariant: { type: 'string', enum: [...INVARIANT_NAMES] },
      passing: { type: 'boolean', description: 'No violation of it among the events and checkpoints this run examined.' },
      eventsExamined: { type: 'integer', minimum: 0 },
    },
    optional: {},
  }),
  IntegrityRun: objectSchema<IntegrityRunView>({
    description: 'A run of the integrity monitor. With a tenant\'s key: that tenant\'s part of it only.',
    properties: {
      runId: { type: 'string' },
      startedAt: ISO_TIME,
      finishedAt: ISO_TIME,
      durationMs: { type: 'integer', minimum: 0 },
      eventsExamined: { type: 'integer', minimum: 0, description: 'Events new since the previous check (all of them for a full check).' },
      results: { type: 'array', items: ref('InvariantResult'), description: 'Each of the six invariants, in the transparency page\'s order.' },
    },
    optional: {},
    examples: [EXAMPLE_RUN],
  }),
  IntegrityRunList: objectSchema<{ runs: IntegrityRunView[] }>({
    properties: { runs: { type: 'array', items: ref('IntegrityRun'), description: 'Newest first: the runs that examined the tenant (a scheduled run passes over a tenant without new events).' } },
    optional: {},
  }),
  IncidentEvidenceEvent: objectSchema<IncidentEvidenceEvent>({
    properties: {
      height: { type: ['integer', 'null'], description: 'Null for a message on the subject that is not an event.' },
      eventId: { type: ['string', 'null'] },
      hash: { anyOf: [HEX_HASH, { type: 'string' }, { type: 'null' }], description: 'The hash the event carries, as stored.' },
      problem: { type: 'string', description: 'What is wrong with it.' },
    },
    optional: {},
    additionalProperties: true,
  }),
  Incident: objectSchema<IncidentView>({
    description: 'A violation of an invariant in the tenant, opened once per finding (a later check that finds it again opens nothing).',
    properties: {
      incidentId: { type: 'string' },
      tenantId: { type: 'string' },
      invariant: { type: 'string', enum: [...INVARIANT_NAMES] },
      openedAt: ISO_TIME,
      status: { type: 'string', enum: [...INCIDENT_STATUSES] },
      summary: { type: 'string' },
      evidence: {
        type: 'object',
        required: ['events'],
        properties: { events: { type: 'array', items: ref('IncidentEvidenceEvent') }, code: { type: 'string', description: 'What kind of finding (docs/integrity.md lists them).' } },
        additionalProperties: true,
        description: 'The events concerned, and what else the finding measured (expected and actual values, the checkpoint, the lockdown).',
      },
    },
    optional: {},
    examples: [EXAMPLE_INCIDENT],
  }),
  IncidentList: objectSchema<{ incidents: IncidentView[] }>({
    properties: { incidents: { type: 'array', items: ref('Incident'), description: 'Newest first.' } },
    optional: {},
  }),
};

const MONITOR_UNAVAILABLE: ResponseDoc = {
  description: 'No integrity monitor answered in time, or the tenant could not be checked right now (another instance held it too long); retry.',
  content: { 'application/problem+json': { schema: ref('ProblemDetails') } },
};

const LIMIT = { description: 'How many, 1 to 200 (default 20).', example: 20 };

export const INTEGRITY_ROUTES: Record<string, RouteDoc> = {
  'GET /api/public/integrity': {
    operationId: 'getPublicIntegrity',
    summary: 'The kernel\'s integrity status',
    description: 'Whether enforcement runs, the invariants pass, the hash chains are valid and a lockdown is in force, and when the last check finished. No key, no tenant data; cached for 5 seconds.',
    tags: ['Integrity'],
    success: { description: 'The status.', content: json(ref('PublicIntegrity')) },
  },
  'GET /api/public/invariants': {
    operationId: 'getPublicInvariants',
    summary: 'The six kernel invariants and whether each passes',
    description: 'By their published names, aggregated over every tenant. No key, no tenant data; cached for 5 seconds.',
    tags: ['Integrity'],
    success: { description: 'The invariants.', content: json(ref('PublicInvariants')) },
  },
  'POST /api/admin/integrity/checks': {
    operationId: 'runIntegrityCheck',
    summary: 'Check the invariants now',
    description:
      'Has the integrity monitor check now, as its schedule does: an admin key its own tenant, the operator key every tenant (or the one named in `tenantId`). Only the events since the last check are examined, unless `full=true`. A violation opens an incident; in strict mode it also locks the tenant down.',
    tags: ['Integrity'],
    parameters: {
      full: { description: '`true`: examine the whole history again from the first event.', example: false },
      tenantId: { description: 'Operator key only: the one tenant to check.', example: 'ten_3f2a9c1b7d4e5f60' },
    },
    success: { description: 'The run: with a tenant\'s key, that tenant\'s part of it.', content: json(ref('IntegrityRun')) },
    responses: { 404: 'NotFound', 503: MONITOR_UNAVAILABLE },
  },
  'GET /api/audit/integrity/checks': {
    operationId: 'listIntegrityChecks',
    summary: 'The integrity checks of the tenant',
    description: 'The latest runs that examined the key\'s tenant, newest first, each with the tenant\'s own results.',
    tags: ['Integrity'],
    parameters: { limit: LIMIT },
    success: { description: 'The runs.', content: json(ref('IntegrityRunList')) },
  },
  'GET /api/audit/incidents': {
    operationId: 'listIncidents',
    summary: 'The tenant\'s incidents',
    description: 'Every violation found in the key\'s tenant, newest first, with its evidence.',
    tags: ['Integrity'],
    parameters: { limit: LIMIT, status: { description: 'Only `OPEN` or only `RESOLVED` ones.', example: 'OPEN' } },
    success: { description: 'The incidents.', content: json(ref('IncidentList')) },
  },
  'GET /api/audit/incidents/:incidentId': {
    operationId: 'getIncident',
    summary: 'One incident',
    description: 'Within the key\'s tenant: another tenant\'s incident answers 404, like one that does not exist.',
    tags: ['Integrity'],
    parameters: { incidentId: { description: 'The incident\'s id.', example: EXAMPLE_INCIDENT.incidentId } },
    success: { description: 'The incident.', content: json(ref('Incident')) },
    responses: { 404: 'NotFound' },
  },
};
