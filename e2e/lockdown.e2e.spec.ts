import type { AnomalyKind, LedgerEvent } from '@halm/contracts';
import { LedgerStore } from '@halm/messaging';
import { eventually } from '@halm/testing';
import { authorize, startE2eStack, type E2eStack } from './stack';

const OPERATOR_KEY = 'halm_op_e2e-operator-key-0123456789';
const QUICKSTART = { type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, context: { confidenceScore: 0.92 } };

interface Decision {
  proposalId: string;
  status: string;
  allowed: boolean;
  reasons: string[];
}

describe('lockdown through the gateway: admin routes, decisions and anomalies', () => {
  let halm: E2eStack;

  beforeAll(async () => {
    halm = await startE2eStack(['policy-evaluator', 'ledger', 'lockdown-controller', 'gateway'], { OPERATOR_API_KEY: OPERATOR_KEY, REPEATED_DENIALS_THRESHOLD: '3' });
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
  });

  const call = async (method: string, path: string, key: string | undefined, body?: unknown) => {
    const response = await fetch(`${halm.gatewayUrl}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  const tenantWithAdmin = async () => {
    const tenant = await halm.createTenant('acme');
    return { ...tenant, adminKey: await halm.issueKey(tenant.tenantId, ['admin']) };
  };

  const decide = async (key: string, body: unknown = QUICKSTART): Promise<Decision> => {
    const response = await authorize(halm.gatewayUrl, key, body);
    expect(response.status).toBe(200);
    return (await response.json()) as Decision;
  };

  const ledgerOf = async (tenantId: string): Promise<LedgerEvent[]> => (await LedgerStore.open(halm.nats.connection, halm.nats.topology)).read(tenantId);

  const anomalyRecorded = (tenantId: string, kind: AnomalyKind) =>
    eventually(async () => (await ledgerOf(tenantId)).find((event) => event.type === 'AnomalyRecorded' && (event.data as { kind: string }).kind === kind), 10_000, `a ${kind} anomaly`);

  it('denies every decision of a tenant an admin locked down, giving the lockdown’s reason, until the admin releases it', async () => {
    const { tenantId, agentKey, adminKey } = await tenantWithAdmin();
    const bystander = await halm.createTenant('bystander');
    expect((await decide(agentKey)).status).toBe('ALLOW');

    const engaged = await call('POST', '/api/admin/lockdown', adminKey, { scope: 'tenant', reason: 'suspicious payments' });

    expect(engaged).toMatchObject({ status: 200, body: { engaged: true, tenants: 1, lockdown: { scope: 'tenant', tenantId, trigger: 'MANUAL', reason: 'suspicious payments' } } });
    expect(await decide(agentKey)).toMatchObject({ status: 'DENY', allowed: false, reasons: ['Lockdown active (tenant): suspicious payments'] });
    expect((await decide(bystander.agentKey)).status).toBe('ALLOW');
    expect(await call('GET', '/api/admin/lockdown', adminKey)).toMatchObject({ status: 200, body: { active: true, global: null, tenants: [{ tenantId, reason: 'suspicious payments' }] } });

    const released = await call('POST', '/api/admin/lockdown/release', adminKey, { scope: 'tenant', reason: 'recipient verified' });

    expect(released).toMatchObject({ status: 200, body: { released: true, lockdown: { tenantId } } });
    expect((await decide(agentKey)).status).toBe('ALLOW');
    expect(await call('GET', '/api/admin/lockdown', adminKey)).toMatchObject({ status: 200, body: { active: false, global: null, tenants: [] } });
    const lockdownEvents = (await ledgerOf(tenantId)).filter((event) => event.type.startsWith('Lockdown'));
    expect(lockdownEvents).toMatchObject([
      { type: 'LockdownEngaged', data: { reason: 'suspicious payments', by: { kind: 'key' } } },
      { type: 'LockdownReleased', data: { reason: 'recipient verified', by: { kind: 'key' } } },
    ]);
  });

  it('lets only the operator key lock every tenant down, and release it', async () => {
    const first = await tenantWithAdmin();
    const second = await halm.createTenant('second');

    expect((await call('POST', '/api/admin/lockdown', first.adminKey, { scope: 'global', reason: 'x' })).status).toBe(403);
    const engaged = await call('POST', '/api/admin/lockdown', OPERATOR_KEY, { scope: 'global', reason: 'incident 42' });
    try {
      expect(engaged).toMatchObject({ status: 200, body: { engaged: true, lockdown: { scope: 'global', tenantId: null, by: { kind: 'key', id: 'operator' } } } });
      for (const agentKey of [first.agentKey, second.agentKey]) {
        expect(await decide(agentKey)).toMatchObject({ status: 'DENY', reasons: ['Lockdown active (global): incident 42'] });
      }
      expect(await call('GET', '/api/admin/lockdown', first.adminKey)).toMatchObject({ status: 200, body: { active: true, global: { scope: 'global', evidence: {} } } });
      expect((await call('POST', '/api/admin/lockdown/release', first.adminKey, { scope: 'global', reason: 'x' })).status).toBe(403);
    } finally {
      expect((await call('POST', '/api/admin/lockdown/release', OPERATOR_KEY, { scope: 'global', reason: 'incident 42 closed' })).status).toBe(200);
    }
    expect((await decide(second.agentKey)).status).toBe('ALLOW');
  });

  it('lets the operator lock one tenant down by its id', async () => {
    const { tenantId, agentKey } = await tenantWithAdmin();

    expect((await call('POST', '/api/admin/lockdown', OPERATOR_KEY, { scope: 'tenant', tenantId, reason: 'abuse report' })).status).toBe(200);
    expect(await call('GET', `/api/admin/lockdown?tenantId=${tenantId}`, OPERATOR_KEY)).toMatchObject({ status: 200, body: { active: true, tenants: [{ tenantId }] } });
    expect((await decide(agentKey)).status).toBe('DENY');
    expect((await call('POST', '/api/admin/lockdown/release', OPERATOR_KEY, { scope: 'tenant', tenantId, reason: 'resolved' })).status).toBe(200);
    expect((await call('POST', '/api/admin/lockdown', OPERATOR_KEY, { scope: 'tenant', tenantId: 'ten_nobody', reason: 'x' })).status).toBe(404);
  });

  it('answers bad input with a 400 naming the field', async () => {
    const { adminKey } = await tenantWithAdmin();

    const cases: [unknown, string][] = [
      [{ scope: 'tenant' }, 'reason'],
      [{ scope: 'tenant', reason: '   ' }, 'reason'],
      [{ scope: 'planet', reason: 'x' }, 'scope'],
      [{ reason: 'x' }, 'scope'],
      [{ scope: 'tenant', reason: 'x', tenantId: 'a.b' }, 'tenantId'],
    ];
    for (const [body, field] of cases) {
      const response = await call('POST', '/api/admin/lockdown', adminKey, body);
      expect(response.status).toBe(400);
      expect((response.body['invalidParams'] as { name: string }[]).map((param) => param.name)).toContain(field);
    }
    const globalWithTenant = await call('POST', '/api/admin/lockdown', OPERATOR_KEY, { scope: 'global', tenantId: 'ten_a', reason: 'x' });
    expect(globalWithTenant).toMatchObject({ status: 400, body: { invalidParams: [{ name: 'tenantId' }] } });
    expect((await call('POST', '/api/admin/lockdown/release', adminKey, { scope: 'tenant' })).status).toBe(400);
  });

  it('needs the admin role', async () => {
    const { agentKey } = await tenantWithAdmin();

    expect((await call('POST', '/api/admin/lockdown', agentKey, { scope: 'tenant', reason: 'x' })).status).toBe(403);
    expect((await call('GET', '/api/admin/lockdown', undefined)).status).toBe(401);
  });

  it('records a critical CROSS_TENANT_ACCESS anomaly when a key names another tenant’s proposal or tenant, and still answers as if it did not exist', async () => {
    const owner = await tenantWithAdmin();
    const intruder = await tenantWithAdmin();
    const { proposalId } = await decide(owner.agentKey);
    const projected = async (key: string) => (await fetch(`${halm.gatewayUrl}/api/kernel/proposals/${proposalId}`, { headers: { authorization: `Bearer ${key}` } })).status;
    await eventually(async () => ((await projected(owner.agentKey)) === 200 ? true : undefined), 10_000, 'the proposal in the projection');

    const read = await fetch(`${halm.gatewayUrl}/api/kernel/proposals/${proposalId}`, { headers: { authorization: `Bearer ${intruder.agentKey}` } });

    expect(read.status).toBe(404);
    const anomaly = await anomalyRecorded(intruder.tenantId, 'CROSS_TENANT_ACCESS');
    expect(anomaly.data).toMatchObject({ severity: 'critical', evidence: { resource: 'proposalId', id: proposalId }, detectedBy: { kind: 'kernel', id: 'gateway' } });
    expect((await ledgerOf(owner.tenantId)).some((event) => event.type === 'AnomalyRecorded')).toBe(false);

    expect((await call('POST', '/api/admin/lockdown', intruder.adminKey, { scope: 'tenant', tenantId: owner.tenantId, reason: 'x' })).status).toBe(403);
    await eventually(async () => ((await ledgerOf(intruder.tenantId)).filter((event) => event.type === 'AnomalyRecorded').length === 2 ? true : undefined), 10_000, 'the second anomaly');
  });

  it('locks a tenant down when an agent breaches a budget at critical level', async () => {
    const { tenantId, agentKey, adminKey } = await tenantWithAdmin();
    const overBudget = { type: 'ledger:write', payload: { amount: 150_000, recipient: 'acme' }, justification: 'all of it', context: { confidenceScore: 0.99, agentId: 'payments-bot' } };

    const denied = await decide(agentKey, overBudget);

    expect(denied).toMatchObject({ status: 'DENY', allowed: false });
    expect((await anomalyRecorded(tenantId, 'BUDGET_CRITICAL')).data).toMatchObject({ severity: 'critical', evidence: { proposalId: denied.proposalId, agentId: 'payments-bot' } });
    await eventually(async () => ((await call('GET', '/api/admin/lockdown', adminKey)).body['active'] === true ? true : undefined), 10_000, 'the automatic lockdown');
    expect((await decide(agentKey)).reasons).toEqual([expect.stringMatching(/^Lockdown active \(tenant\): Budget breach at critical level/)]);
    expect((await call('POST', '/api/admin/lockdown/release', adminKey, { scope: 'tenant', reason: 'budget raised' })).status).toBe(200);
  });

  it('records a REPEATED_DENIALS warning when one agent is denied again and again', async () => {
    const { tenantId, agentKey } = await tenantWithAdmin();
    const doubtful = { type: 'task:create', payload: { title: 'retry' }, context: { confidenceScore: 0.1, agentId: 'stubborn-bot' } };

    for (let attempt = 0; attempt < 3; attempt += 1) expect((await decide(agentKey, doubtful)).status).toBe('DENY');

    const anomaly = await anomalyRecorded(tenantId, 'REPEATED_DENIALS');
    expect(anomaly.data).toMatchObject({ severity: 'warning', evidence: { agentId: 'stubborn-bot', threshold: 3 } });
    expect((anomaly.data as { evidence: { proposalIds: string[] } }).evidence.proposalIds).toHaveLength(3);
  });
});
