import type { LedgerEvent } from '@halm/contracts';
import { LedgerStore } from '@halm/messaging';
import { eventually, stopProcesses } from '@halm/testing';
import { authorize, startE2eStack, type E2eStack } from './stack';

// One rule of every kind, a three-second veto window and a small tenant budget: each status is reachable.
const MANIFEST = `
description: e2e policy
autoCommitThreshold: 0.5
rules:
  - id: deny-secret-deletion
    actionTypes: ["vault:write"]
    effect: DENY
    when: 'payload.operation == "delete"'
    reason: Deleting secrets is never automatic
  - id: human-for-large-payments
    actionTypes: ["ledger:write"]
    effect: REQUIRE_HUMAN
    when: "payload.amount > 500"
    reason: Payments above 500 need a human
  - id: quick-veto-for-recalibration
    actionTypes: ["recalibrate:propose"]
    effect: HELD_FOR_VETO
    vetoWindow: 3s
    reason: Recalibrations wait three seconds for a veto
  - id: allow-everything-else
    actionTypes: ["*"]
    effect: ALLOW
    reason: Action complies with active policy manifest
    constraints: { maxRetries: 2 }
budgets:
  - id: tenant-spend
    actionTypes: ["ledger:write"]
    scope: tenant
    window: 1h
    amount: payload.amount
    warning: 800
    critical: 1000
`;

const RECALIBRATION = { type: 'recalibrate:propose', payload: { model: 'risk-v2', parameters: { temperature: 0.2 } }, context: { confidenceScore: 0.9 } };

interface Keys {
  tenantId: string;
  agentKey: string;
  adminKey: string;
  approverKey: string;
}

const call = (halm: E2eStack, method: string, path: string, key: string, body?: unknown) =>
  fetch(`${halm.gatewayUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

const json = async <T>(response: Response | Promise<Response>): Promise<T> => (await (await response).json()) as T;

const keysFor = async (halm: E2eStack): Promise<Keys> => {
  const { tenantId, agentKey } = await halm.createTenant('acme');
  return { tenantId, agentKey, adminKey: await halm.issueKey(tenantId, ['admin']), approverKey: await halm.issueKey(tenantId, ['approver']) };
};

/** Approves a pending proposal once the projection has it. */
const approve = async (halm: E2eStack, keys: Keys, proposalId: string) =>
  eventually(async () => {
    const response = await call(halm, 'POST', `/api/kernel/proposals/${proposalId}/approve`, keys.approverKey, { reason: 'reviewed' });
    return response.status === 404 ? undefined : response;
  }, 5_000, `the approval of ${proposalId}`);

/** Publishes and activates the e2e manifest as version 2, each step approved by a human as the default policy wants. */
const installManifest = async (halm: E2eStack, keys: Keys) => {
  const published = await json<{ decision: { proposalId: string; status: string }; version: number | null }>(call(halm, 'POST', '/api/policies', keys.adminKey, { source: MANIFEST }));
  expect(published).toMatchObject({ decision: { status: 'REQUIRE_HUMAN' }, version: null });
  expect((await approve(halm, keys, published.decision.proposalId)).status).toBe(200);
  const activated = await json<{ decision: { proposalId: string; status: string } }>(call(halm, 'POST', '/api/policies/2/activate', keys.adminKey, {}));
  expect(activated.decision.status).toBe('REQUIRE_HUMAN');
  expect((await approve(halm, keys, activated.decision.proposalId)).status).toBe(200);
};

const ledgerOf = async (halm: E2eStack, tenantId: string): Promise<LedgerEvent[]> => (await LedgerStore.open(halm.nats.connection, halm.nats.topology)).read(tenantId);

describe('policy manifests through the gate', () => {
  let halm: E2eStack;

  beforeAll(async () => {
    halm = await startE2eStack(['policy-evaluator', 'ledger', 'gateway']);
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
  });

  it('publishes and activates a manifest only as approved policy:update proposals, recorded in the ledger', async () => {
    const keys = await keysFor(halm);
    await installManifest(halm, keys);

    const list = await json<{ activeVersion: number; versions: { version: number; active: boolean; description: string | null }[] }>(call(halm, 'GET', '/api/policies', keys.adminKey));
    expect(list.activeVersion).toBe(2);
    expect(list.versions.map((version) => [version.version, version.active, version.description])).toEqual([
      [1, false, expect.any(String)],
      [2, true, 'e2e policy'],
    ]);
    const shown = await json<{ manifest: { rules: { id: string }[] } }>(call(halm, 'GET', '/api/policies/2', keys.adminKey));
    expect(shown.manifest.rules.map((rule) => rule.id)).toContain('quick-veto-for-recalibration');
    const diff = await json<{ changes: unknown[] }>(call(halm, 'GET', '/api/policies/1/diff/2', keys.adminKey));
    expect(diff.changes.length).toBeGreaterThan(0);
    const types = (await ledgerOf(halm, keys.tenantId)).map((event) => event.type);
    expect(types.filter((type) => type === 'PolicyPublished')).toHaveLength(2);
    expect(types.filter((type) => type === 'PolicyActivated')).toHaveLength(2);
  });

  it('decides every status under the published manifest and records its version', async () => {
    const keys = await keysFor(halm);
    await installManifest(halm, keys);

    const denied = await json<{ status: string; reasons: string[] }>(authorize(halm.gatewayUrl, keys.agentKey, { type: 'vault:write', payload: { path: 'db/root', operation: 'delete' }, context: { confidenceScore: 0.9 } }));
    const human = await json<{ status: string }>(authorize(halm.gatewayUrl, keys.agentKey, { type: 'ledger:write', payload: { amount: 600, recipient: 'acme' }, context: { confidenceScore: 0.9 } }));
    const held = await json<{ status: string; vetoDeadline: string }>(authorize(halm.gatewayUrl, keys.agentKey, RECALIBRATION));
    const allowed = await json<{ status: string; constraints: unknown }>(authorize(halm.gatewayUrl, keys.agentKey, { type: 'task:create', payload: { title: 'Follow up' }, context: { confidenceScore: 0.6 } }));

    expect(denied).toMatchObject({ status: 'DENY', reasons: ['Deleting secrets is never automatic'] });
    expect(human.status).toBe('REQUIRE_HUMAN');
    expect(held.status).toBe('HELD_FOR_VETO');
    expect(Date.parse(held.vetoDeadline)).toBeGreaterThan(Date.now());
    expect(allowed).toMatchObject({ status: 'ALLOW', constraints: { maxRetries: 2 } });
    const decisions = (await ledgerOf(halm, keys.tenantId)).filter((event) => event.type === 'DecisionRecorded').slice(-4);
    expect(decisions.map((event) => (event.data as { decision: { policy: { version: number } } }).decision.policy.version)).toEqual([2, 2, 2, 2]);
  });

  it('rolls back to the version the one in force replaced', async () => {
    const keys = await keysFor(halm);
    await installManifest(halm, keys);

    // Under version 2 policy changes are allowed outright, so the rollback takes effect at once.
    const rolledBack = await json<{ decision: { status: string }; version: number | null }>(call(halm, 'POST', '/api/policies/rollback', keys.adminKey, {}));

    expect(rolledBack).toMatchObject({ decision: { status: 'ALLOW' }, version: 1 });
    expect((await json<{ activeVersion: number }>(call(halm, 'GET', '/api/policies', keys.adminKey))).activeVersion).toBe(1);
  });

  it('refuses a bad manifest with the path of the bad field and the CEL error position', async () => {
    const keys = await keysFor(halm);
    const source = MANIFEST.replace('payload.amount > 500', 'payload.amount >> 500');

    const response = await call(halm, 'POST', '/api/policies', keys.adminKey, { source });

    expect(response.status).toBe(400);
    const body = await json<{ invalidParams: { name: string; reason: string }[] }>(response);
    expect(body.invalidParams[0]).toMatchObject({ name: 'source.rules.1.when', reason: expect.stringMatching(/line \d+, column \d+/) });
    expect((await call(halm, 'POST', '/api/policies', keys.agentKey, { source: MANIFEST })).status).toBe(403);
  });

  it('records the end of an unvetoed window as its own event, even when the ledger was down at the deadline', async () => {
    const keys = await keysFor(halm);
    await installManifest(halm, keys);
    const held = await json<{ proposalId: string; vetoDeadline: string }>(authorize(halm.gatewayUrl, keys.agentKey, RECALIBRATION));
    await eventually(async () => ((await call(halm, 'GET', `/api/kernel/proposals/${held.proposalId}`, keys.agentKey)).status === 200 ? true : undefined), 5_000);

    // Every ledger instance stops before the deadline; the window passes with none running.
    await stopProcesses(halm.stack.processes.filter((entry) => entry.service === 'ledger').map((entry) => entry.process));
    const untilDeadline = Date.parse(held.vetoDeadline) - Date.now() + 200;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, untilDeadline)));
    expect((await ledgerOf(halm, keys.tenantId)).some((event) => event.type === 'VetoWindowElapsed')).toBe(false);
    await halm.startMore(['ledger']);

    const after = await eventually(
      async () => {
        const proposal = await json<{ lifecycle: string; allowed: boolean }>(call(halm, 'GET', `/api/kernel/proposals/${held.proposalId}`, keys.agentKey));
        return proposal.lifecycle === 'VETO_WINDOW_ELAPSED' ? proposal : undefined;
      },
      10_000,
      'the elapsed window',
    );
    expect(after.allowed).toBe(true);
    const elapsed = (await ledgerOf(halm, keys.tenantId)).filter((event) => event.type === 'VetoWindowElapsed');
    expect(elapsed).toHaveLength(1);
    expect(Date.parse(elapsed[0]!.recordedAt)).toBeGreaterThanOrEqual(Date.parse(held.vetoDeadline));
    // A veto now comes too late.
    expect((await call(halm, 'POST', `/api/kernel/proposals/${held.proposalId}/veto`, keys.approverKey, { reason: 'late' })).status).toBe(409);
  });
});

describe('budgets under concurrency', () => {
  it('never overspends a budget when two evaluator instances decide for one tenant at the same moment', async () => {
    await using halm = await startE2eStack(['policy-evaluator', 'policy-evaluator', 'ledger', 'gateway']);
    const keys = await keysFor(halm);
    await installManifest(halm, keys);

    const responses = await Promise.all(
      Array.from({ length: 30 }, () => authorize(halm.gatewayUrl, keys.agentKey, { type: 'ledger:write', payload: { amount: 100, recipient: 'acme' }, context: { confidenceScore: 0.9 } })),
    );
    const bodies = await Promise.all(responses.map((response) => json<{ status: string; allowed: boolean }>(response)));

    expect(responses.every((response) => response.status === 200)).toBe(true);
    const counted = bodies.filter((body) => body.status !== 'DENY');
    expect(counted).toHaveLength(10);
    const decisions = (await ledgerOf(halm, keys.tenantId)).filter((event) => event.type === 'DecisionRecorded');
    const charged = decisions.flatMap((event) => (event.data as { decision: { budgetCharges?: { amount: number }[] } }).decision.budgetCharges ?? []);
    expect(charged.reduce((sum, entry) => sum + entry.amount, 0)).toBe(1_000);
    // Both instances decided some of them: their queue group shared the work.
    for (const evaluator of halm.stack.processes.filter((entry) => entry.service === 'policy-evaluator')) {
      const metrics = await (await fetch(`${evaluator.url}/metrics`)).text();
      const handled = /halm_nats_request_duration_seconds_count\{[^}]*subject="policy\.req\.evaluate",outcome="ok"[^}]*\} (\d+)/.exec(metrics);
      expect(Number(handled?.[1] ?? 0)).toBeGreaterThan(0);
    }
  });
});
