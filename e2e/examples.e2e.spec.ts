import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EventDataOf, LedgerEvent } from '@halm/contracts';
import { LedgerStore } from '@halm/messaging';
import { eventually, repositoryRoot } from '@halm/testing';
import { startE2eStack, type E2eStack } from './stack';

const run = promisify(execFile);

// The examples as a user runs them: compiled by the repository's build (tsc -b tsconfig.build.json), run with node.
// The Python quickstart has its own spec, e2e/python-quickstart.e2e.spec.ts.
const TYPESCRIPT_AGENT = join(repositoryRoot, 'examples', 'typescript-agent', 'dist', 'agent.js');
const FRAMEWORK_TOOL = join(repositoryRoot, 'examples', 'framework-tool', 'dist', 'agent.js');

const PROPOSAL = String.raw`prop_[0-9a-f]{24}`;
const EXECUTION = String.raw`exe_[0-9a-f]{32}`;

describe('the examples against the running services', () => {
  let halm: E2eStack;

  beforeAll(async () => {
    for (const script of [TYPESCRIPT_AGENT, FRAMEWORK_TOOL]) {
      if (!existsSync(script)) throw new Error(`${script} is missing: build first (node node_modules/typescript/bin/tsc -b tsconfig.build.json, which ./halm does)`);
    }
    halm = await startE2eStack(['policy-evaluator', 'ledger', 'executor', 'gateway']);
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
  });

  /** Runs an example the way its README says, with only the settings `./halm up` gives it. */
  const runExample = async (script: string, agentKey: string): Promise<string[]> => {
    const { stdout } = await run(process.execPath, [script], {
      cwd: repositoryRoot,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HALM_URL: halm.gatewayUrl, HALM_API_KEY: agentKey },
      timeout: 60_000,
    });
    return stdout.trim().split('\n');
  };

  const ledgerOf = async (tenantId: string): Promise<LedgerEvent[]> => (await LedgerStore.open(halm.nats.connection, halm.nats.topology)).read(tenantId);
  const ofType = <T extends 'DecisionRecorded' | 'ExecutionStarted' | 'ExecutionCompleted'>(events: LedgerEvent[], type: T) =>
    events.filter((event) => event.type === type).map((event) => event.data as EventDataOf<T>);

  it('the TypeScript agent pays, has the kernel send its webhook, leaves the payment it is unsure of to a human and is denied the one it is far too unsure of', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');

    const lines = await runExample(TYPESCRIPT_AGENT, agentKey);

    expect(lines).toHaveLength(4);
    const [paid, webhook, held, denied] = lines as [string, string, string, string];
    const payment = new RegExp(`^paid 120 EUR to acme: transfer tr_[0-9a-f]{8}, proposal (${PROPOSAL}), execution (${EXECUTION})$`).exec(paid);
    expect(payment).not.toBeNull();
    const delivery = new RegExp(`^webhook payment.sent sent by the kernel: SUCCEEDED, HTTP 204, execution (${EXECUTION}); the receiver got Idempotency-Key (${PROPOSAL}) and (.*)$`).exec(webhook);
    expect(delivery).not.toBeNull();
    expect(JSON.parse(delivery![3]!)).toEqual({ transferId: expect.stringMatching(/^tr_/), amount: 120, currency: 'EUR' });
    expect(held).toMatch(new RegExp(`^payment of 300 EUR to globex waits for a human approver: proposal ${PROPOSAL} \\(Confidence 0.6 is below auto-commit threshold 0.8\\)$`));
    expect(denied).toMatch(new RegExp(`^payment of 75 EUR to initech denied: proposal ${PROPOSAL} \\(.*0\\.3.*\\)$`));

    // What the agent printed is what the tenant's ledger holds.
    const events = await ledgerOf(tenantId);
    expect(ofType(events, 'DecisionRecorded').map(({ proposal, decision }) => [proposal.type, proposal.payload['amount'] ?? proposal.payload['event'], decision.status])).toEqual([
      ['ledger:write', 120, 'ALLOW'],
      ['webhook:send', 'payment.sent', 'ALLOW'],
      ['ledger:write', 300, 'REQUIRE_HUMAN'],
      ['ledger:write', 75, 'DENY'],
    ]);
    const started = ofType(events, 'ExecutionStarted');
    expect(started.map((data) => [data.executionId, data.performer])).toEqual([
      [payment![2], 'agent'],
      [delivery![1], 'kernel'],
    ]);
    expect(started[0]!.proposalId).toBe(payment![1]);
    expect(started[1]!.proposalId).toBe(delivery![2]);
    const completed = ofType(events, 'ExecutionCompleted');
    expect(completed.map((data) => [data.executionId, data.outcome])).toEqual([
      [payment![2], 'SUCCEEDED'],
      [delivery![1], 'SUCCEEDED'],
    ]);
    expect(completed[0]!.result).toEqual({ transferId: expect.stringMatching(/^tr_[0-9a-f]{8}$/) });
  });

  it('the TypeScript agent waits for an approver when told to, and pays once approved', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const approverKey = await halm.issueKey(tenantId, ['approver']);
    const agent = spawn(process.execPath, [TYPESCRIPT_AGENT], {
      cwd: repositoryRoot,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HALM_URL: halm.gatewayUrl, HALM_API_KEY: agentKey, HALM_APPROVAL_WAIT_MS: '60000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    agent.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => agent.once('exit', resolve));

    try {
      // The agent prints the proposal it waits for; an approver approves it while it waits.
      const proposalId = await eventually(async () => new RegExp(`waiting up to 60000 ms for an approver: proposal (${PROPOSAL})`).exec(output)?.[1], 30_000, 'the agent to wait for an approver');
      expect(output).toContain(`approve it: curl -s -X POST ${halm.gatewayUrl}/api/kernel/proposals/${proposalId}/approve`);
      // 404 until the proposal is in the projection the approvals read.
      const approved = await eventually(async () => {
        const approval = await fetch(`${halm.gatewayUrl}/api/kernel/proposals/${proposalId}/approve`, {
          method: 'POST',
          headers: { authorization: `Bearer ${approverKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ reason: 'licence renewal checked' }),
        });
        return approval.status === 404 ? undefined : approval.status;
      }, 10_000, `the approval of ${proposalId}`);
      expect(approved).toBe(200);

      expect(await exited).toBe(0);
      expect(output).toMatch(new RegExp(`\\npaid 300 EUR to globex after approval: transfer tr_[0-9a-f]{8}, proposal ${proposalId}, execution ${EXECUTION}\\n`));
      const events = await ledgerOf(tenantId);
      expect(events.map((event) => event.type).filter((type) => type !== 'PolicyPublished' && type !== 'PolicyActivated')).toEqual([
        'DecisionRecorded', 'ExecutionStarted', 'ExecutionCompleted', // the payment of 120
        'DecisionRecorded', 'ExecutionStarted', 'ExecutionCompleted', // the webhook
        'DecisionRecorded', 'ProposalApproved', 'ExecutionStarted', 'ExecutionCompleted', // the payment of 300
        'DecisionRecorded', // the denied one
      ]);
    } finally {
      agent.kill();
    }
  });

  it('the LangChain tool runs the model’s transfer through Halm and hands the held one back to the model', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');

    const lines = await runExample(FRAMEWORK_TOOL, agentKey);

    expect(lines[0]).toBe('(model bound to tools: transfer_funds)');
    expect(lines[1]).toMatch(/^user: Pay acme 120 EUR/);
    expect(lines[2]).toBe('assistant calls transfer_funds {"amount":120,"recipient":"acme","memo":"Invoice 2026-031","confidence":0.95} (call_1)');
    const sent = new RegExp(`^tool transfer_funds \\(call_1\\): Sent 120 EUR to acme: transfer tr_[0-9a-f]{8} \\(Halm proposal (${PROPOSAL}), execution (${EXECUTION})\\)$`).exec(lines[3] ?? '');
    expect(sent).not.toBeNull();
    expect(lines[4]).toBe('assistant calls transfer_funds {"amount":300,"recipient":"globex","memo":"Licence","confidence":0.6} (call_2)');
    expect(lines[5]).toMatch(new RegExp(`^tool transfer_funds \\(call_2\\): The transfer waits for a human approver in Halm \\(proposal ${PROPOSAL}\\): Confidence 0.6 is below auto-commit threshold 0.8$`));
    expect(lines[6]).toMatch(/^assistant: Done\. Sent 120 EUR to acme: .* The transfer waits for a human approver/);
    expect(lines).toHaveLength(7);

    const events = await ledgerOf(tenantId);
    const decisions = ofType(events, 'DecisionRecorded');
    expect(decisions.map(({ proposal, decision }) => [proposal.payload['recipient'], decision.status, proposal.justification, proposal.context])).toEqual([
      ['acme', 'ALLOW', 'LangChain tool call call_1', { agentId: 'langchain-agent', confidenceScore: 0.95 }],
      ['globex', 'REQUIRE_HUMAN', 'LangChain tool call call_2', { agentId: 'langchain-agent', confidenceScore: 0.6 }],
    ]);
    expect(ofType(events, 'ExecutionStarted').map((data) => [data.proposalId, data.executionId])).toEqual([[sent![1], sent![2]]]);
    expect(ofType(events, 'ExecutionCompleted').map((data) => [data.executionId, data.outcome])).toEqual([[sent![2], 'SUCCEEDED']]);
  });
});
