import type { LedgerEvent } from '@halm/contracts';
import { executionIdOf, executionViewOf, IDEMPOTENCY_KEY_PATTERN } from './execution-view';

const started = (performer: 'kernel' | 'agent'): LedgerEvent => ({
  tenantId: 't',
  height: 7,
  prevHash: 'p'.repeat(64),
  hash: 's'.repeat(64),
  eventId: 'exe_1.started',
  type: 'ExecutionStarted',
  recordedAt: '2026-03-15T10:00:00.000Z',
  data: {
    executionId: 'exe_1',
    proposalId: 'prop_1',
    idempotencyKey: 'order-42',
    actionType: performer === 'kernel' ? 'webhook:send' : 'ledger:write',
    actionDigest: 'd'.repeat(64),
    decisionHash: 'h'.repeat(64),
    tokenId: 'tok_1',
    tokenKeyId: 'kid',
    performer,
    connector: performer === 'kernel' ? 'webhook' : null,
    executorId: 'executor-a',
    requestedBy: { kind: 'key', id: 'key_1' },
  },
});

const completed: LedgerEvent = {
  tenantId: 't',
  height: 8,
  prevHash: 's'.repeat(64),
  hash: 'c'.repeat(64),
  eventId: 'exe_1.completed',
  type: 'ExecutionCompleted',
  recordedAt: '2026-03-15T10:00:01.000Z',
  data: { executionId: 'exe_1', proposalId: 'prop_1', decisionHash: 'h'.repeat(64), outcome: 'SUCCEEDED', result: { status: 200 }, by: { kind: 'kernel', id: 'executor-a' } },
};

describe('executionIdOf', () => {
  it('names one execution per tenant and idempotency key', () => {
    expect(executionIdOf('acme', 'order-42')).toBe(executionIdOf('acme', 'order-42'));
    expect(executionIdOf('acme', 'order-42')).not.toBe(executionIdOf('globex', 'order-42'));
    expect(executionIdOf('acme', 'order-42')).not.toBe(executionIdOf('acme', 'order-43'));
    // The separator keeps tenant and key apart: ('a', 'bc') is not ('ab', 'c').
    expect(executionIdOf('a', 'bc')).not.toBe(executionIdOf('ab', 'c'));
    expect(executionIdOf('acme', 'k')).toMatch(/^exe_[0-9a-f]{32}$/);
  });

  it('accepts printable keys up to 255 characters only', () => {
    expect(IDEMPOTENCY_KEY_PATTERN.test('order-42:retry/1')).toBe(true);
    expect(IDEMPOTENCY_KEY_PATTERN.test('')).toBe(false);
    expect(IDEMPOTENCY_KEY_PATTERN.test('with space')).toBe(false);
    expect(IDEMPOTENCY_KEY_PATTERN.test('x'.repeat(256))).toBe(false);
  });
});

describe('executionViewOf', () => {
  it('answers a finished execution from its two events', () => {
    expect(executionViewOf(started('kernel'), completed)).toEqual({
      executionId: 'exe_1',
      proposalId: 'prop_1',
      idempotencyKey: 'order-42',
      actionType: 'webhook:send',
      status: 'SUCCEEDED',
      performer: 'kernel',
      connector: 'webhook',
      decisionHash: 'h'.repeat(64),
      result: { status: 200 },
      started: { height: 7, hash: 's'.repeat(64), recordedAt: '2026-03-15T10:00:00.000Z' },
      completed: { height: 8, hash: 'c'.repeat(64), recordedAt: '2026-03-15T10:00:01.000Z' },
    });
  });

  it('says who must finish an execution still open', () => {
    expect(executionViewOf(started('agent'), null)).toMatchObject({ status: 'AWAITING_REPORT', result: null, completed: null });
    expect(executionViewOf(started('kernel'), null)).toMatchObject({ status: 'IN_PROGRESS', result: null, completed: null });
  });
});
