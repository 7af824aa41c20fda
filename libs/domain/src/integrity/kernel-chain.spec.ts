import { KERNEL_TENANT_ID } from '@halm/contracts';
import { chain, EMPTY_HEAD } from '../ledger/hash-chain';
import { TenantLedger } from '../tenant/tenant-ledger';

describe('the kernel chain', () => {
  it('is a chain the ledger extends with IntegrityCheckRecorded events, which change nothing else', () => {
    const ledger = new TenantLedger(KERNEL_TENANT_ID);
    const draft = { tenantId: KERNEL_TENANT_ID, eventId: 'integrity.irun_1', type: 'IntegrityCheckRecorded' as const, recordedAt: '2026-03-15T10:00:00.000Z', data: { runId: 'irun_1' } };

    expect(ledger.check(draft)).toEqual({ ok: true });
    ledger.apply(chain(EMPTY_HEAD, draft));

    expect(ledger.activeLockdowns()).toEqual([]);
    expect(ledger.check({ type: 'IntegrityCheckRecorded', recordedAt: '2026-03-15T10:05:00.000Z', data: { runId: 'irun_2' } })).toEqual({ ok: true });
  });
});
