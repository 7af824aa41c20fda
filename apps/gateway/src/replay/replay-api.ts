import { DECISION_STATUSES } from '@halm/contracts';
import { REPLAY_VERDICTS, type DecisionReplayResult, type ReplayDifference, type ReplayReport, type ReplaySummary, type WhatIfChange, type WhatIfOutcome, type WhatIfReport } from '@halm/domain';
import type { JsonSchema } from '../openapi/dto-schemas';
import type { ResponseDoc, RouteDoc } from '../openapi/openapi-document';
import { objectSchema, ref } from '../openapi/typed-schema';
import { MAX_REPLAY_EVENTS } from './replay-range';

/* The replay routes' part of the OpenAPI description (apps/gateway/src/openapi/gateway-api.ts spreads it in). */

const ANY_JSON: JsonSchema = { description: 'Any JSON value; absent when that side has no such field.' };

const EXAMPLE_REPLAY: ReplayReport = {
  summary: { total: 3, pass: 1, fail: 1, unknown: 1 },
  results: [
    { proposalId: 'prop_8f3a1c2e9b7d4f6a0c1e2d3b', height: 3, verdict: 'PASS', differences: [] },
    {
      proposalId: 'prop_5c0e2f7a9b1d3e4f6a8c0b2d',
      height: 7,
      verdict: 'FAIL',
      differences: [{ field: 'status', recorded: 'ALLOW', replayed: 'REQUIRE_HUMAN' }],
      reason: 'policy version 2 gives another decision for the state it read (status)',
    },
    {
      proposalId: 'prop_1d2e3f4a5b6c7d8e9f0a1b2c',
      height: 9,
      verdict: 'UNKNOWN',
      differences: [],
      reason: 'policy version 7 was never published in this chain before the decision: its snapshot is missing',
    },
  ],
};

const EXAMPLE_WHAT_IF: WhatIfReport = {
  summary: { examined: 42, changed: 1 },
  changes: [
    {
      proposalId: 'prop_8f3a1c2e9b7d4f6a0c1e2d3b',
      height: 3,
      type: 'ledger:write',
      recorded: { status: 'ALLOW', reasons: ['Action complies with active policy manifest', 'Confidence 0.92 exceeds auto-commit threshold 0.8'], constraints: {} },
      candidate: { status: 'REQUIRE_HUMAN', reasons: ['Confidence 0.92 is below auto-commit threshold 0.95'], constraints: {} },
    },
  ],
};

const STRICTER_SOURCE = `autoCommitThreshold: 0.95
rules:
  - id: standard-actions
    actionTypes: ["*"]
    effect: ALLOW
    reason: Action complies with active policy manifest
budgets: []
`;

export const REPLAY_SCHEMAS: Record<string, JsonSchema> = {
  ReplayDifference: objectSchema<ReplayDifference>({
    description: 'One field in which the recorded decision and the replayed one differ.',
    properties: {
      field: { type: 'string', description: 'Its path in the decision: `status`, `reasons`, `stateRead.budgets.daily-payments.used`, `policy.version`.' },
      recorded: { ...ANY_JSON, description: 'The value the ledger recorded; absent when the recorded decision has no such field.' },
      replayed: {
        ...ANY_JSON,
        description: 'The value re-evaluation gives; for `stateRead.lockdown`, `policy.version` and `stateRead.budgets.*.used`, what the chain held when the decision was recorded (the ledger\'s own check replayed). Absent when the replayed decision has no such field.',
      },
    },
    optional: { recorded: true, replayed: true },
  }),
  DecisionReplayResult: objectSchema<DecisionReplayResult>({
    properties: {
      proposalId: { type: 'string' },
      height: { type: 'integer', minimum: 1, description: 'The height of its DecisionRecorded event.' },
      verdict: {
        type: 'string',
        enum: [...REPLAY_VERDICTS],
        description: 'PASS: re-evaluated with the policy snapshot it names, on the state it read, it gives exactly what was recorded. FAIL: it does not (`differences`), or the ledger could not have recorded it. UNKNOWN: the snapshot is missing (a version the chain never published, another hash).',
      },
      differences: { type: 'array', items: ref('ReplayDifference'), description: 'Empty unless FAIL.' },
      reason: { type: 'string', description: 'Why it is FAIL or UNKNOWN.' },
    },
    optional: { reason: true },
  }),
  ReplaySummary: objectSchema<ReplaySummary>({
    properties: { total: { type: 'integer', minimum: 0 }, pass: { type: 'integer', minimum: 0 }, fail: { type: 'integer', minimum: 0 }, unknown: { type: 'integer', minimum: 0 } },
    optional: {},
  }),
  ReplayReport: objectSchema<ReplayReport>({
    properties: { summary: ref('ReplaySummary'), results: { type: 'array', items: ref('DecisionReplayResult'), description: 'One per decision of the range, lowest height first.' } },
    optional: {},
    examples: [EXAMPLE_REPLAY],
  }),
  WhatIfOutcome: objectSchema<WhatIfOutcome>({
    properties: {
      status: { type: 'string', enum: [...DECISION_STATUSES] },
      reasons: { type: 'array', items: { type: 'string' } },
      constraints: { type: 'object', additionalProperties: true },
    },
    optional: {},
  }),
  WhatIfChange: objectSchema<WhatIfChange>({
    description: 'A past decision the candidate would decide otherwise: another status, other reasons or other constraints.',
    properties: {
      proposalId: { type: 'string' },
      height: { type: 'integer', minimum: 1 },
      type: { type: 'string', description: 'The proposal\'s action type.' },
      recorded: ref('WhatIfOutcome'),
      candidate: ref('WhatIfOutcome'),
    },
    optional: {},
  }),
  WhatIfReport: objectSchema<WhatIfReport>({
    properties: {
      summary: objectSchema<WhatIfReport['summary']>({
        properties: { examined: { type: 'integer', minimum: 0, description: 'The decisions of the range.' }, changed: { type: 'integer', minimum: 0, description: 'How many of them `changes` lists.' } },
        optional: {},
      }),
      changes: { type: 'array', items: ref('WhatIfChange'), description: 'Lowest height first.' },
    },
    optional: {},
    examples: [EXAMPLE_WHAT_IF],
  }),
};

const HEIGHTS = `\`fromHeight\` and \`toHeight\` (both included; default the whole ledger) bound the decisions reported, at most ${MAX_REPLAY_EVENTS} events: a longer range is a 400 naming \`toHeight\`. The events before the range are folded too (policies, budget charges, lockdowns), as the state it starts from.`;

export const REPLAY_PROPERTY_DESCRIPTIONS: Record<string, Record<string, string>> = {
  ReplayRequest: {
    fromHeight: 'The first height whose decisions are reported (default 1).',
    toHeight: `The last height, included (default: the last event). At most ${MAX_REPLAY_EVENTS} events from \`fromHeight\`.`,
  },
  WhatIfRequest: {
    manifest: 'The candidate manifest as a JSON document, as `POST /api/policies` takes it. Give this or `source`.',
    source: 'The candidate as YAML or JSON text (line and column of errors refer to it). Give this or `manifest`; when both are given, `source` is used.',
    fromHeight: 'The first height whose decisions are decided again (default 1).',
    toHeight: `The last height, included (default: the last event). At most ${MAX_REPLAY_EVENTS} events from \`fromHeight\`.`,
  },
};

const UNAVAILABLE: ResponseDoc = {
  description: 'The ledger stream could not be read; retry.',
  content: { 'application/problem+json': { schema: ref('ProblemDetails') } },
};

export const REPLAY_ROUTES: Record<string, RouteDoc> = {
  'POST /api/audit/replay': {
    operationId: 'replayDecisions',
    summary: 'Replay the tenant\'s decisions',
    description:
      'Re-folds the tenant\'s ledger from its stream and re-evaluates every recorded decision with the policy snapshot it names, as the chain published it, on the state it recorded reading (lockdown, budget usage), at the time it was decided; then compares field by field. The ledger\'s check at the time it was recorded (no ALLOW under a lockdown, the version in force, budget levels against the charges the chain held) is replayed too. ' +
      HEIGHTS +
      ' The hash chain itself is verified by `./halm verify` (docs/auditors-guide.md).',
    tags: ['Audit'],
    requestExamples: { all: { summary: 'The whole ledger', value: {} }, range: { summary: 'Heights 1 to 500', value: { fromHeight: 1, toHeight: 500 } } },
    success: { description: 'A verdict per decision, and the counts.', content: { 'application/json': { schema: ref('ReplayReport'), example: EXAMPLE_REPLAY } } },
    responses: { 503: UNAVAILABLE },
  },
  'POST /api/audit/what-if': {
    operationId: 'whatIfReplay',
    summary: 'Replay the tenant\'s history against a candidate manifest',
    description:
      'Decides every recorded decision again with a candidate manifest that is not published (compiled like `POST /api/policies`: a manifest that does not compile is a 400 naming each bad field with its CEL error), and lists those whose status, reasons or constraints would change. The candidate\'s budgets are counted along the replayed history from the first event: what it would have denied charges nothing. Lockdowns, approvals, rejections and vetoes stay as recorded. ' +
      HEIGHTS,
    tags: ['Audit'],
    requestExamples: { source: { summary: 'A stricter auto-commit threshold, as YAML', value: { source: STRICTER_SOURCE } } },
    success: { description: 'The decisions that would change.', content: { 'application/json': { schema: ref('WhatIfReport'), example: EXAMPLE_WHAT_IF } } },
    responses: { 503: UNAVAILABLE },
  },
};
