import type { LedgerEvent } from '@halm/contracts';
import { approvalRowOf, decisionRowOf, executionCompletionOf, executionStartOf, jsonForPostgres, ledgerEventRowOf, normalizedTime } from './ledger-rows';

const event = (type: LedgerEvent['type'], data: unknown, recordedAt = '2026-03-15T10:00:00Z'): LedgerEvent => ({
  tenantId: 'tenant-a',
  height: 7,
  prevHash: '0'.repeat(64),
  eventId: 'e7',
  type,
  recordedAt,
  data,
  hash: 'f'.repeat(64),
});

describe('jsonForPostgres', () => {
  it('replaces NUL in strings and keys with U+FFFD, and nothing else', () => {
    const value = { 'a\u0000b': ['x\u0000', '\\u0000 is how JSON writes NUL', '\\\u0000'], plain: 'é \n "quoted"' };

    expect(JSON.parse(jsonForPostgres(value))).toEqual({ 'a\uFFFDb': ['x\uFFFD', '\\u0000 is how JSON writes NUL', '\\\uFFFD'], plain: 'é \n "quoted"' });
  });

  it('leaves JSON without NUL as JSON.stringify writes it', () => {
    const value = { amount: 1e21, text: 'a\\u0000b' };

    expect(jsonForPostgres(value)).toBe(JSON.stringify(value));
  });
});

describe('the rows of the ledger’s read models', () => {
  it('normalizes times to the form Date.toISOString writes, and refuses what is no time', () => {
    expect(normalizedTime('2026-03-15T11:00:00+01:00')).toBe('2026-03-15T10:00:00.000Z');
    expect(normalizedTime('soon')).toBeNull();
    expect(normalizedTime(12)).toBeNull();
  });

  it('keeps only a ledger event’s own fields in the raw row', () => {
    const stored = { ...event('PolicyActivated', { version: 2 }), sequence: 12 } as LedgerEvent;

    const row = ledgerEventRowOf(stored);

    expect(row.event).toEqual(event('PolicyActivated', { version: 2 }));
    expect(row.recordedAt).toBe('2026-03-15T10:00:00.000Z');
    expect(row.leafHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('derives no row from an event it cannot read, instead of throwing', () => {
    for (const data of [null, 'text', [], { proposal: {} }, { proposal: { proposalId: 'p' }, decision: { status: 'MAYBE' } }]) {
      expect(decisionRowOf(event('DecisionRecorded', data))).toBeUndefined();
      expect(approvalRowOf(event('ProposalApproved', data))).toBeUndefined();
      expect(executionStartOf(event('ExecutionStarted', data))).toBeUndefined();
      expect(executionCompletionOf(event('ExecutionCompleted', data))).toBeUndefined();
    }
    expect(executionCompletionOf(event('ExecutionCompleted', { executionId: 'x', outcome: 'PERHAPS' }))).toBeUndefined();
  });

  it('derives nothing from an event of another type', () => {
    const approval = event('ProposalApproved', { proposalId: 'p', by: { kind: 'key', id: 'k' }, reason: 'r' });

    expect(decisionRowOf(approval)).toBeUndefined();
    expect(executionStartOf(approval)).toBeUndefined();
    expect(approvalRowOf(event('LockdownEngaged', { proposalId: 'p' }))).toBeUndefined();
    expect(approvalRowOf(approval)).toEqual({
      tenantId: 'tenant-a',
      height: 7,
      hash: 'f'.repeat(64),
      proposalId: 'p',
      verdict: 'APPROVED',
      actor: { kind: 'key', id: 'k' },
      reason: 'r',
      recordedAt: '2026-03-15T10:00:00.000Z',
    });
  });
});
