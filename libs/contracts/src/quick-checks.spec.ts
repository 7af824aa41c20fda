import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import fc from 'fast-check';
import { quickPayloadCheck, payloadRuleProblems } from './action-payloads';
import { ACTION_TYPES, type ActionType } from './action-types';
import { AuthorizeRequestDto } from './authorize-request.dto';

// Values near every limit and rule the decorators have: lengths around each maximum, the
// characters validator.js counts differently, numbers class-validator refuses, wrong types.
const LIMITS = [1, 3, 64, 256, 512, 1_000, 2_000, 4_000, 4_096];
const texts = fc.oneof(
  { arbitrary: fc.constantFrom(...LIMITS.flatMap((limit) => [limit, limit + 1])).map((length) => 'a'.repeat(length)), weight: 3 },
  fc.constantFrom('', 'EUR', 'euro', 'Eur', 'create', 'rotate', 'dump', '2026-03-15T10:00:00Z', 'tomorrow', '\uFE0F', 'a\uFE0F', '\uD83D\uDE00', '\uD83D', 'x'.repeat(255) + '\uD83D\uDE00'),
  fc.string({ maxLength: 8 }),
);
const values = fc.oneof(
  texts,
  fc.constantFrom(undefined, null, 0, -1, 0.5, 1, 1.0000001, 120, 50_000, Number.NaN, Number.POSITIVE_INFINITY, -0, true, false, [], ['a'], {}, { temperature: 0.2 }),
  fc.double(),
);
const FIELDS = ['amount', 'recipient', 'currency', 'memo', 'path', 'operation', 'commitment', 'counterparty', 'text', 'locale', 'title', 'assignee', 'dueAt', 'key', 'value', 'model', 'parameters', 'rationale', 'other'];
const WELL_FORMED: Record<ActionType, Record<string, unknown>> = {
  'ledger:write': { amount: 120, recipient: 'acme', currency: 'EUR', memo: 'invoice 7' },
  'vault:write': { path: 'db/password', operation: 'rotate' },
  'policy:update': { operation: 'activate', version: 2, hash: 'a'.repeat(64) },
  'dialogue:commit': { commitment: 'We will refund the order', counterparty: 'customer' },
  'voice:respond': { text: 'Your order has shipped', locale: 'en-GB' },
  'webhook:send': { url: 'https://hooks.example.test/orders', event: 'order', body: { id: 1 } },
  'task:create': { title: 'Call the customer back', assignee: 'support' },
  'session:write': { key: 'cart', value: null },
  'recalibrate:propose': { model: 'risk-v2', parameters: { temperature: 0.2 }, rationale: 'drift' },
};
/** A well-formed payload with one or two members changed (mostly its own), dropped or added, or any payload at all. */
const payloadsOf = (type: ActionType): fc.Arbitrary<Record<string, unknown>> =>
  fc.oneof(
    fc
      .dictionary(fc.oneof({ arbitrary: fc.constantFrom(...Object.keys(WELL_FORMED[type])), weight: 4 }, fc.constantFrom(...FIELDS)), values, { maxKeys: 2 })
      .map((changed) => ({ ...WELL_FORMED[type], ...changed })),
    fc.dictionary(fc.constantFrom(...FIELDS), values, { maxKeys: 6 }),
  );

const ruleProblems = (body: Record<string, unknown>) =>
  validateSync(plainToInstance(AuthorizeRequestDto, body), { stopAtFirstError: true, forbidUnknownValues: false, validationError: { target: false, value: false } });

describe('the quick checks in front of class-validator', () => {
  it.each(ACTION_TYPES)('never accept a %s payload the decorators refuse', (type: ActionType) => {
    fc.assert(
      fc.property(payloadsOf(type), (payload) => {
        if (quickPayloadCheck(type, payload)) expect(payloadRuleProblems(type, payload)).toEqual([]);
      }),
      { numRuns: 5_000 },
    );
  });

  it('never accept an authorize body the decorators refuse', () => {
    const contextChanges = fc.dictionary(fc.constantFrom('confidenceScore', 'sessionId', 'agentId', 'other'), values, { maxKeys: 2 });
    const bodyChanges = fc.dictionary(fc.constantFrom('type', 'payload', 'justification', 'context', 'other'), fc.oneof(values, payloadsOf('ledger:write')), { maxKeys: 1 });
    /** A well-formed body with a member of it or of its context changed, dropped or added. */
    const bodies = fc.tuple(contextChanges, bodyChanges).map(([context, body]) => ({
      type: 'task:create',
      payload: { title: 'x' },
      justification: 'j',
      context: { confidenceScore: 0.92, sessionId: 's-1', agentId: 'agent-1', ...context },
      ...body,
    }));
    fc.assert(
      fc.property(bodies, (body) => {
        if (AuthorizeRequestDto.acceptsAsIs(body)) expect(ruleProblems(body)).toEqual([]);
      }),
      { numRuns: 10_000 },
    );
  });

  it('accept the common well-formed requests, so that these skip class-validator', () => {
    expect(AuthorizeRequestDto.acceptsAsIs({ type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, context: { confidenceScore: 0.92, agentId: 'agent-1', sessionId: 's-1' } })).toBe(true);
    expect(AuthorizeRequestDto.acceptsAsIs({ type: 'task:create', payload: {}, justification: 'because' })).toBe(true);
    expect(quickPayloadCheck('ledger:write', { amount: 120, recipient: 'acme', currency: 'EUR' })).toBe(true);
    expect(quickPayloadCheck('task:create', { title: 'Call the customer back', assignee: 'support' })).toBe(true);
    expect(quickPayloadCheck('session:write', { key: 'cart', value: null })).toBe(true);
  });
});
