import type { AnomalyKind, AnomalySeverity, LedgerEvent, LedgerEventType } from '@halm/contracts';
import { lockdownTriggerFor, type TriggerRules } from './lockdown-triggers';

const RULES: TriggerRules = { strictMode: false, threshold: 3, windowMs: 5 * 60_000 };
const START = Date.parse('2026-03-15T10:00:00.000Z');

/** A tenant's chain built event by event; `at` is minutes after START. */
const chain = () => {
  const events: LedgerEvent[] = [];
  const add = (type: LedgerEventType, atMinutes: number, data: unknown): LedgerEvent => {
    const event: LedgerEvent = {
      tenantId: 'ten_a',
      height: events.length + 1,
      prevHash: '0'.repeat(64),
      eventId: `e${events.length + 1}`,
      type,
      recordedAt: new Date(START + atMinutes * 60_000).toISOString(),
      data,
      hash: String(events.length + 1).padStart(64, '0'),
    };
    events.push(event);
    return event;
  };
  const anomaly = (atMinutes: number, kind: AnomalyKind = 'REPLAYED_EXECUTION_TOKEN', severity: AnomalySeverity = 'critical') =>
    add('AnomalyRecorded', atMinutes, { anomalyId: `anom_${events.length + 1}`, kind, severity, evidence: { tokenId: 'jti_1' }, detectedBy: { kind: 'kernel', id: 'executor' } });
  return { events, add, anomaly };
};

describe('lockdownTriggerFor', () => {
  it('engages on the third critical anomaly within five minutes', () => {
    const tenant = chain();
    tenant.anomaly(0);
    tenant.anomaly(2, 'CROSS_TENANT_ACCESS');
    const third = tenant.anomaly(4.9);

    const finding = lockdownTriggerFor(third, tenant.events, RULES);

    expect(finding).toMatchObject({ trigger: 'CRITICAL_ANOMALIES', reason: '3 critical anomalies within 5 minutes: REPLAYED_EXECUTION_TOKEN, CROSS_TENANT_ACCESS' });
    expect((finding?.evidence['anomalies'] as { anomalyId: string }[]).map((entry) => entry.anomalyId)).toEqual(['anom_1', 'anom_2', 'anom_3']);
  });

  it('does not engage on two critical anomalies', () => {
    const tenant = chain();
    tenant.anomaly(0);
    const second = tenant.anomaly(1);

    expect(lockdownTriggerFor(second, tenant.events, RULES)).toBeNull();
  });

  it('does not count critical anomalies older than the window, nor warnings', () => {
    const tenant = chain();
    tenant.anomaly(0);
    tenant.anomaly(3, 'REPEATED_DENIALS', 'warning');
    tenant.anomaly(5.5);
    const third = tenant.anomaly(6);

    expect(lockdownTriggerFor(third, tenant.events, RULES)).toBeNull();
  });

  it('counts only the anomalies up to the one it decides on, whatever came after', () => {
    const tenant = chain();
    tenant.anomaly(0);
    const second = tenant.anomaly(1);
    tenant.anomaly(2);

    expect(lockdownTriggerFor(second, tenant.events, RULES)).toBeNull();
  });

  it('starts afresh after a lockdown: anomalies before its release neither count nor engage again', () => {
    const tenant = chain();
    tenant.anomaly(0);
    tenant.anomaly(1);
    const third = tenant.anomaly(2);
    tenant.add('LockdownEngaged', 2.1, { lockdownId: 'lck_1' });
    tenant.add('LockdownReleased', 3, { lockdownId: 'lck_1' });
    const afterRelease = tenant.anomaly(3.5);

    expect(lockdownTriggerFor(third, tenant.events, RULES)).toBeNull();
    expect(lockdownTriggerFor(afterRelease, tenant.events, RULES)).toBeNull();
  });

  it('engages on a budget breach at critical level at once', () => {
    const tenant = chain();
    const breach = tenant.anomaly(0, 'BUDGET_CRITICAL');

    expect(lockdownTriggerFor(breach, tenant.events, RULES)).toMatchObject({ trigger: 'BUDGET_CRITICAL', evidence: { detail: { tokenId: 'jti_1' } } });
  });

  it.each([['HASH_CHAIN_FAILURE'], ['INVARIANT_VIOLATION']] as const)('engages on %s only in strict mode, and never counts it otherwise', (kind) => {
    const tenant = chain();
    tenant.anomaly(0, kind);
    tenant.anomaly(1, kind);
    const third = tenant.anomaly(2, kind);

    expect(lockdownTriggerFor(third, tenant.events, RULES)).toBeNull();
    expect(lockdownTriggerFor(third, tenant.events, { ...RULES, strictMode: true })).toMatchObject({ trigger: kind });
  });

  it('answers nothing for an event that is not an anomaly', () => {
    const tenant = chain();
    const decision = tenant.add('DecisionRecorded', 0, {});

    expect(lockdownTriggerFor(decision, tenant.events, RULES)).toBeNull();
  });
});
