import { ACTION_TYPES, type ActionType } from './action-types';
import { payloadProblems } from './action-payloads';

const VALID: Record<ActionType, Record<string, unknown>> = {
  'ledger:write': { amount: 120, recipient: 'acme' },
  'vault:write': { path: 'db/password', operation: 'rotate' },
  'policy:update': { operation: 'activate', version: 2, hash: 'a'.repeat(64) },
  'dialogue:commit': { commitment: 'We will refund the order' },
  'voice:respond': { text: 'Your order has shipped' },
  'webhook:send': { url: 'https://hooks.example.test/orders', body: { id: 1 } },
  'task:create': { title: 'Call the customer back' },
  'session:write': { key: 'cart', value: null },
  'recalibrate:propose': { model: 'risk-v2', parameters: { temperature: 0.2 } },
};

describe('per-type payload validation', () => {
  it.each(ACTION_TYPES)('accepts a well-formed %s payload', (type) => {
    expect(payloadProblems(type, VALID[type])).toEqual([]);
  });

  it.each([
    ['ledger:write', {}, ['payload.amount', 'payload.recipient']],
    ['ledger:write', { amount: '120', recipient: 'acme' }, ['payload.amount']],
    ['ledger:write', { amount: 120, recipient: '' }, ['payload.recipient']],
    ['ledger:write', { amount: 120, recipient: 'acme', currency: 'euro' }, ['payload.currency']],
    ['vault:write', { path: 'x', operation: 'dump' }, ['payload.operation']],
    ['policy:update', { operation: 'publish' }, ['payload.manifest']],
    ['policy:update', { operation: 'activate', version: 0, hash: 'nope' }, ['payload.version', 'payload.hash']],
    ['dialogue:commit', { commitment: 7 }, ['payload.commitment']],
    ['voice:respond', {}, ['payload.text']],
    ['webhook:send', { url: 'ftp://example.test/file' }, ['payload.url']],
    ['task:create', { title: 'x', dueAt: 'tomorrow' }, ['payload.dueAt']],
    ['session:write', { key: 'cart' }, ['payload.value']],
    ['recalibrate:propose', { model: 'risk-v2', parameters: 'hot' }, ['payload.parameters']],
  ] as const)('names each bad field of a %s payload %j', (type, payload, names) => {
    expect(payloadProblems(type, payload as Record<string, unknown>).map((problem) => problem.name)).toEqual(names);
  });

  it('gives a reason that does not repeat the field name', () => {
    expect(payloadProblems('ledger:write', { recipient: 'acme' })).toEqual([{ name: 'payload.amount', reason: 'is required' }]);
  });
});
