import type { AppendReply, AppendRequest, AuthorizeResponse } from '@halm/contracts';
import { RpcClient } from '@halm/messaging';
import { eventually } from '@halm/testing';
import { authorize, startE2eStack, type E2eStack } from './stack';

// The default policy sends a large payment to a human, even at high confidence.
const NEEDS_A_HUMAN = { type: 'ledger:write', payload: { amount: 50_000, recipient: 'acme' }, context: { confidenceScore: 0.95 } };
const ALLOWED = { type: 'task:create', payload: { title: 'call back' }, context: { confidenceScore: 0.95 } };
// Below the auto-commit threshold: a human decides (and no payment budget is touched).
const UNSURE = { type: 'task:create', payload: { title: 'call back' }, context: { confidenceScore: 0.5 } };

describe('reading proposals through the gateway', () => {
  let halm: E2eStack;

  beforeAll(async () => {
    halm = await startE2eStack(['policy-evaluator', 'ledger', 'gateway']);
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
  });

  const get = (path: string, key: string) => fetch(`${halm.gatewayUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });

  const decide = async (agentKey: string, request: unknown = NEEDS_A_HUMAN): Promise<AuthorizeResponse> => {
    const response = await authorize(halm.gatewayUrl, agentKey, request);
    expect(response.status).toBe(200);
    return (await response.json()) as AuthorizeResponse;
  };

  /** The proposal once the ledger's projection has it. */
  const projected = (proposalId: string, key: string) =>
    eventually(
      async () => {
        const response = await get(`/api/kernel/proposals/${proposalId}`, key);
        return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
      },
      10_000,
      `proposal ${proposalId} projected`,
    );

  const timed = async <T>(work: Promise<T>): Promise<{ value: T; ms: number }> => {
    const started = performance.now();
    const value = await work;
    return { value, ms: performance.now() - started };
  };

  it('shows a proposal waiting for a human as PENDING_APPROVAL, with its decision, request and history', async () => {
    const { agentKey } = await halm.createTenant('acme');
    const decided = await decide(agentKey);
    expect(decided.status).toBe('REQUIRE_HUMAN');

    const body = await projected(decided.proposalId, agentKey);

    expect(body).toEqual({
      proposalId: decided.proposalId,
      type: 'ledger:write',
      status: 'REQUIRE_HUMAN',
      lifecycle: 'PENDING_APPROVAL',
      allowed: false,
      reasons: decided.reasons,
      constraints: decided.constraints,
      vetoDeadline: null,
      humanApprovalRequired: true,
      decidedAt: decided.decidedAt,
      updatedAt: decided.decidedAt,
      payload: { amount: 50_000, recipient: 'acme' },
      context: { confidenceScore: 0.95 },
      // the tenant's ledger starts with its default policy, so the decision's height is whatever follows it
      history: [{ type: 'DecisionRecorded', height: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/), recordedAt: decided.decidedAt }],
    });
  });

  it('answers 404 to another tenant’s key, exactly as for an unknown id', async () => {
    const acme = await halm.createTenant('acme');
    const globex = await halm.createTenant('globex');
    const decided = await decide(acme.agentKey);
    await projected(decided.proposalId, acme.agentKey);

    const foreign = await get(`/api/kernel/proposals/${decided.proposalId}`, globex.agentKey);
    const unknown = await get('/api/kernel/proposals/prop_000000000000000000000000', globex.agentKey);

    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(foreign.headers.get('content-type')).toContain('application/problem+json');
    const [foreignBody, unknownBody] = (await Promise.all([foreign.json(), unknown.json()])) as Record<string, unknown>[];
    expect({ ...foreignBody, proposalId: undefined, instance: undefined }).toEqual({ ...unknownBody, proposalId: undefined, instance: undefined });
  });

  it('waits for a decision the projection has not caught up with yet', async () => {
    const { agentKey } = await halm.createTenant('acme');
    const decided = await decide(agentKey, ALLOWED);

    const { value: response, ms } = await timed(get(`/api/kernel/proposals/${decided.proposalId}?waitMs=20000`, agentKey));

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ proposalId: decided.proposalId, status: 'ALLOW', lifecycle: 'ALLOWED', allowed: true });
    expect(ms).toBeLessThan(10_000);
  });

  it('answers a long-poll on an open proposal after waitMs with the same state', async () => {
    const { agentKey } = await halm.createTenant('acme');
    const decided = await decide(agentKey);
    const before = await projected(decided.proposalId, agentKey);

    const { value: response, ms } = await timed(get(`/api/kernel/proposals/${decided.proposalId}?waitMs=1500`, agentKey));

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(before);
    expect(ms).toBeGreaterThanOrEqual(1_400);
    expect(ms).toBeLessThan(5_000);
  });

  it('answers a long-poll as soon as the proposal is approved', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const decided = await decide(agentKey);
    await projected(decided.proposalId, agentKey);

    const waiting = timed(get(`/api/kernel/proposals/${decided.proposalId}?waitMs=25000`, agentKey));
    // Let the request reach the gateway and start waiting before the approval is recorded.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const approval: AppendRequest = {
      tenantId,
      eventId: `${decided.proposalId}.approved`,
      type: 'ProposalApproved',
      recordedAt: new Date().toISOString(),
      data: { proposalId: decided.proposalId, by: { kind: 'key', id: 'key_x' }, reason: 'ok' },
    };
    const appended = await new RpcClient(halm.nats.connection).request<AppendRequest, AppendReply>(halm.nats.topology.appendSubject, approval, 5_000);
    const { value: response, ms } = await waiting;

    expect(response.status).toBe(200);
    const body = (await response.json()) as { lifecycle: string; allowed: boolean; updatedAt: string; history: unknown[] };
    expect(body).toMatchObject({ lifecycle: 'APPROVED', allowed: true, status: 'REQUIRE_HUMAN', updatedAt: approval.recordedAt });
    expect(body.history).toEqual([
      { type: 'DecisionRecorded', height: appended.height - 1, hash: appended.prevHash, recordedAt: decided.decidedAt },
      { type: 'ProposalApproved', height: appended.height, hash: appended.hash, recordedAt: approval.recordedAt, by: { kind: 'key', id: 'key_x' }, reason: 'ok' },
    ]);
    expect(ms).toBeLessThan(15_000);
  });

  it('rejects a waitMs out of range with a problem naming it', async () => {
    const { agentKey } = await halm.createTenant('acme');

    const response = await get('/api/kernel/proposals/prop_000000000000000000000000?waitMs=30001', agentKey);

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ status: 400, invalidParams: [{ name: 'waitMs' }] });
  });

  it('lists open proposals newest first to an approver, and refuses an agent', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const approverKey = await halm.issueKey(tenantId, ['approver']);
    const first = await decide(agentKey);
    const second = await decide(agentKey, UNSURE);
    expect(second.status).toBe('REQUIRE_HUMAN');
    const allowed = await decide(agentKey, ALLOWED);
    await Promise.all([first, second, allowed].map((decision) => projected(decision.proposalId, agentKey)));

    const open = await get('/api/kernel/proposals?lifecycle=PENDING_APPROVAL,HELD_FOR_VETO&limit=50', approverKey);
    const firstPage = await get('/api/kernel/proposals?limit=2', approverKey);
    const firstPageBody = (await firstPage.json()) as { proposals: { proposalId: string }[]; next: string | null };
    const secondPage = await get(`/api/kernel/proposals?limit=2&before=${encodeURIComponent(firstPageBody.next ?? '')}`, approverKey);
    const byAgent = await get('/api/kernel/proposals', agentKey);

    expect(open.status).toBe(200);
    const openBody = (await open.json()) as { proposals: { proposalId: string; lifecycle: string; allowed: boolean }[]; next: string | null };
    expect(openBody.proposals.map((proposal) => proposal.proposalId)).toEqual([second.proposalId, first.proposalId]);
    expect(openBody.proposals.every((proposal) => proposal.lifecycle === 'PENDING_APPROVAL' && proposal.allowed === false)).toBe(true);
    expect(openBody.next).toBeNull();
    expect(firstPageBody.proposals.map((proposal) => proposal.proposalId)).toEqual([allowed.proposalId, second.proposalId]);
    expect(firstPageBody.next).toEqual(expect.any(String));
    expect(((await secondPage.json()) as { proposals: { proposalId: string }[] }).proposals.map((proposal) => proposal.proposalId)).toEqual([first.proposalId]);
    expect(byAgent.status).toBe(403);
    expect(await byAgent.json()).toMatchObject({ status: 403, requiredRoles: ['approver', 'admin', 'auditor'] });
  });

  it('reports PostgreSQL in the ledger’s readiness, now that it projects', async () => {
    const ledger = halm.stack.processes.find((entry) => entry.service === 'ledger')!;

    const health = (await (await fetch(`${ledger.url}/health/ready`)).json()) as { checks: Record<string, { status: string }> };

    expect(health.checks['postgres']?.status).toBe('up');
  });

  it('rejects bad list parameters with a problem naming each', async () => {
    const { tenantId } = await halm.createTenant('acme');
    const auditorKey = await halm.issueKey(tenantId, ['auditor']);

    const response = await get('/api/kernel/proposals?lifecycle=PENDING&limit=0&before=yesterday', auditorKey);

    expect(response.status).toBe(400);
    const body = (await response.json()) as { invalidParams: { name: string }[] };
    expect(body.invalidParams.map((param) => param.name).sort()).toEqual(['before', 'lifecycle', 'limit']);
  });
});
