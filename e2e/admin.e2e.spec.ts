import { authorize, startE2eStack, type E2eStack } from './stack';

const OPERATOR_KEY = 'halm_op_e2e-operator-key-0123456789';
const QUICKSTART = { type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, context: { confidenceScore: 0.92 } };

describe('tenants, API keys and roles through the admin API', () => {
  let halm: E2eStack;

  beforeAll(async () => {
    // A long cache: a revoked key must still stop working at once.
    halm = await startE2eStack(['policy-evaluator', 'ledger', 'gateway'], { OPERATOR_API_KEY: OPERATOR_KEY, API_KEY_CACHE_MS: '60000' });
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
  });

  const call = (method: string, path: string, key: string | undefined, body?: unknown) =>
    fetch(`${halm.gatewayUrl}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  const newTenant = async (name: string) => {
    const response = await call('POST', '/api/admin/tenants', OPERATOR_KEY, { name });
    expect(response.status).toBe(201);
    return (await response.json()) as { tenantId: string; adminKey: { id: string; secret: string } };
  };

  const issue = async (adminKey: string, roles: string[]) => {
    const response = await call('POST', '/api/admin/keys', adminKey, { roles, label: roles.join('+') });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string; secret: string; roles: string[] };
  };

  it('lets the operator create a tenant whose admin issues an agent key that can authorize', async () => {
    const tenant = await newTenant('acme');
    const agent = await issue(tenant.adminKey.secret, ['agent']);

    const response = await authorize(halm.gatewayUrl, agent.secret, QUICKSTART);

    expect(response.status).toBe(200);
    expect(agent.roles).toEqual(['agent']);
  });

  it('refuses tenant creation without the operator key', async () => {
    const tenant = await newTenant('acme');

    expect((await call('POST', '/api/admin/tenants', undefined, { name: 'x' })).status).toBe(401);
    expect((await call('POST', '/api/admin/tenants', tenant.adminKey.secret, { name: 'x' })).status).toBe(403);
  });

  it('answers 403 when a key lacks the role the call needs', async () => {
    const tenant = await newTenant('acme');
    const agent = await issue(tenant.adminKey.secret, ['agent']);
    const auditor = await issue(tenant.adminKey.secret, ['auditor']);

    const agentListsKeys = await call('GET', '/api/admin/keys', agent.secret);
    const auditorAuthorizes = await authorize(halm.gatewayUrl, auditor.secret, QUICKSTART);
    const adminAuthorizes = await authorize(halm.gatewayUrl, tenant.adminKey.secret, QUICKSTART);

    expect(agentListsKeys.status).toBe(403);
    expect(await agentListsKeys.json()).toMatchObject({ status: 403, requiredRoles: ['admin'] });
    expect(auditorAuthorizes.status).toBe(403);
    expect(adminAuthorizes.status).toBe(403);
  });

  it('lists a tenant’s keys without their secrets, and only that tenant’s', async () => {
    const acme = await newTenant('acme');
    const globex = await newTenant('globex');
    const agent = await issue(acme.adminKey.secret, ['agent', 'approver']);
    await issue(globex.adminKey.secret, ['agent']);

    const listed = (await (await call('GET', '/api/admin/keys', acme.adminKey.secret)).json()) as { keys: Record<string, unknown>[] };

    expect(listed.keys.map((key) => key['id']).sort()).toEqual([acme.adminKey.id, agent.id].sort());
    expect(JSON.stringify(listed)).not.toContain(agent.secret);
    expect(listed.keys.find((key) => key['id'] === agent.id)).toMatchObject({ roles: ['agent', 'approver'], label: 'agent+approver', revokedAt: null });
  });

  it('stops a revoked key at once, even with a long key cache', async () => {
    const tenant = await newTenant('acme');
    const agent = await issue(tenant.adminKey.secret, ['agent']);
    expect((await authorize(halm.gatewayUrl, agent.secret, QUICKSTART)).status).toBe(200);

    expect((await call('DELETE', `/api/admin/keys/${agent.id}`, tenant.adminKey.secret)).status).toBe(204);

    const deadline = Date.now() + 2_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) status = (await authorize(halm.gatewayUrl, agent.secret, QUICKSTART)).status;
    expect(status).toBe(401);
  });

  it('answers 404 for another tenant’s key id, as for one that does not exist', async () => {
    const acme = await newTenant('acme');
    const globex = await newTenant('globex');
    const globexAgent = await issue(globex.adminKey.secret, ['agent']);

    expect((await call('DELETE', `/api/admin/keys/${globexAgent.id}`, acme.adminKey.secret)).status).toBe(404);
    expect((await call('DELETE', '/api/admin/keys/key_000000000000', acme.adminKey.secret)).status).toBe(404);
    expect((await authorize(halm.gatewayUrl, globexAgent.secret, QUICKSTART)).status).toBe(200);
  });

  it('rejects bad admin requests with the field named', async () => {
    const tenant = await newTenant('acme');

    const badRoles = await call('POST', '/api/admin/keys', tenant.adminKey.secret, { roles: ['agent', 'root'] });
    const noName = await call('POST', '/api/admin/tenants', OPERATOR_KEY, {});

    expect(badRoles.status).toBe(400);
    expect(await badRoles.json()).toMatchObject({ invalidParams: [{ name: 'roles' }] });
    expect(noName.status).toBe(400);
    expect(await noName.json()).toMatchObject({ invalidParams: [{ name: 'name' }] });
  });
});
