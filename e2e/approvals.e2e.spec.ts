import type { LedgerEvent } from '@halm/contracts';
import { LedgerStore } from '@halm/messaging';
import { eventually } from '@halm/testing';
import { authorize, startE2eStack, type E2eStack } from './stack';

const LARGE_PAYMENT = { type: 'ledger:write', payload: { amount: 50_000, recipient: 'acme' }, context: { confidenceScore: 0.95, agentId: 'payments-bot' } };
const RECALIBRATION = { type: 'recalibrate:propose', payload: { model: 'risk-v2', parameters: { temperature: 0.2 } }, context: { confidenceScore: 0.95 } };

describe('approvals and vetoes through the gateway', () => {
  let halm: E2eStack;

  beforeAll(async () => {
    halm = await startE2eStack(['policy-evaluator', 'ledger', 'gateway']);
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
  });

  const verdict = (key: string, proposalId: string, kind: 'approve' | 'reject' | 'veto', reason = 'checked') =>
    fetch(`${halm.gatewayUrl}/api/kernel/proposals/${proposalId}/${kind}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason }),
    });

  const proposal = async (key: string, proposalId: string, waitMs = 0) =>
    (await (await fetch(`${halm.gatewayUrl}/api/kernel/proposals/${proposalId}?waitMs=${waitMs}`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
      lifecycle: string;
      allowed: boolean;
      history: { type: string }[];
    };

  /** The proposal, once the projection has it. */
  const projected = (key: string, proposalId: string) =>
    eventually(async () => {
      const response = await fetch(`${halm.gatewayUrl}/api/kernel/proposals/${proposalId}`, { headers: { authorization: `Bearer ${key}` } });
      return response.status === 200 ? ((await response.json()) as { lifecycle: string }) : undefined;
    }, 5_000, `proposal ${proposalId} in the projection`);

  const decide = async (key: string, body: unknown) => (await (await authorize(halm.gatewayUrl, key, body)).json()) as { proposalId: string; status: string; allowed: boolean };

  const tenantWithApprover = async () => {
    const tenant = await halm.createTenant('acme');
    return { ...tenant, approverKey: await halm.issueKey(tenant.tenantId, ['approver']) };
  };

  const ledgerOf = async (tenantId: string): Promise<LedgerEvent[]> => (await LedgerStore.open(halm.nats.connection, halm.nats.topology)).read(tenantId);

  it('lets an approver approve a proposal that waits for a human, after which it may execute', async () => {
    const { tenantId, agentKey, approverKey } = await tenantWithApprover();
    const decision = await decide(agentKey, LARGE_PAYMENT);
    expect(decision).toMatchObject({ status: 'REQUIRE_HUMAN', allowed: false });
    expect((await projected(agentKey, decision.proposalId)).lifecycle).toBe('PENDING_APPROVAL');

    const response = await verdict(approverKey, decision.proposalId, 'approve', 'Checked with finance');

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ proposalId: decision.proposalId, lifecycle: 'APPROVED', event: { type: 'ProposalApproved' } });
    const after = await proposal(agentKey, decision.proposalId, 5_000);
    expect(after).toMatchObject({ lifecycle: 'APPROVED', allowed: true });
    const approval = (await ledgerOf(tenantId)).find((event) => event.type === 'ProposalApproved');
    expect(approval?.data).toEqual({ proposalId: decision.proposalId, by: { kind: 'key', id: expect.stringMatching(/^key_/) }, reason: 'Checked with finance' });
  });

  it('answers 409 to a second verdict and 403 to a key without the approver role', async () => {
    const { agentKey, approverKey } = await tenantWithApprover();
    const decision = await decide(agentKey, LARGE_PAYMENT);
    await projected(agentKey, decision.proposalId);

    expect((await verdict(agentKey, decision.proposalId, 'approve')).status).toBe(403);
    expect((await verdict(approverKey, decision.proposalId, 'reject', 'Recipient unknown')).status).toBe(200);
    const second = await verdict(approverKey, decision.proposalId, 'approve');
    expect(second.status).toBe(409);
    expect((await proposal(agentKey, decision.proposalId, 2_000)).lifecycle).toBe('REJECTED');
  });

  it('answers 404 for another tenant’s proposal, as for one that does not exist', async () => {
    const acme = await tenantWithApprover();
    const globex = await tenantWithApprover();
    const decision = await decide(acme.agentKey, LARGE_PAYMENT);
    await projected(acme.agentKey, decision.proposalId);

    expect((await verdict(globex.approverKey, decision.proposalId, 'approve')).status).toBe(404);
    expect((await verdict(acme.approverKey, 'prop_000000000000000000000000', 'approve')).status).toBe(404);
  });

  it('lets an approver veto a proposal held for veto before its deadline', async () => {
    const { tenantId, agentKey, approverKey } = await tenantWithApprover();
    const decision = await decide(agentKey, RECALIBRATION);
    expect(decision.status).toBe('HELD_FOR_VETO');
    await projected(agentKey, decision.proposalId);

    expect((await verdict(approverKey, decision.proposalId, 'veto', 'Not reviewed')).status).toBe(200);
    expect((await verdict(approverKey, decision.proposalId, 'veto')).status).toBe(200);
    expect((await ledgerOf(tenantId)).filter((event) => event.type === 'ProposalVetoed')).toHaveLength(1);
    expect(await proposal(agentKey, decision.proposalId, 2_000)).toMatchObject({ lifecycle: 'VETOED', allowed: false });
  });

  it('rejects a verdict body with a bad reason, naming the field', async () => {
    const { agentKey, approverKey } = await tenantWithApprover();
    const decision = await decide(agentKey, LARGE_PAYMENT);
    await projected(agentKey, decision.proposalId);

    const response = await fetch(`${halm.gatewayUrl}/api/kernel/proposals/${decision.proposalId}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${approverKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 42 }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ invalidParams: [{ name: 'reason' }] });
  });

  it('counts one agent’s payments against its daily budget, one after another', async () => {
    const { agentKey } = await tenantWithApprover();

    const statuses = [];
    for (let index = 0; index < 3; index += 1) statuses.push((await decide(agentKey, LARGE_PAYMENT)).status);

    // 50,000 each against a 100,000 daily budget: the third would exceed it.
    expect(statuses).toEqual(['REQUIRE_HUMAN', 'REQUIRE_HUMAN', 'DENY']);
  });
});
