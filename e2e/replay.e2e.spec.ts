import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Decision, LedgerEvent } from '@halm/contracts';
import { chain, EMPTY_HEAD, type LedgerExport, type ReplayReport, type WhatIfReport } from '@halm/domain';
import { LedgerStore } from '@halm/messaging';
import { eventually, newSigningKey, publicKeyOfSigningKey, testNatsUrl } from '@halm/testing';
import { exportLedger } from '../tools/cli/src/commands/export.command';
import { parseReplayArguments, replay, whatIf } from '../tools/cli/src/commands/replay.command';
import { verifyExportFile } from '../tools/cli/src/commands/verify.command';
import { authorize, startE2eStack, type E2eStack } from './stack';

// Payments above 500 wait for a human, a tenant budget warns at 800 and denies past 1000, recalibrations wait three seconds for a veto.
const MANIFEST = `
description: replay e2e policy
autoCommitThreshold: 0.5
rules:
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
budgets:
  - id: tenant-spend
    actionTypes: ["ledger:write"]
    scope: tenant
    window: 1h
    amount: payload.amount
    warning: 800
    critical: 1000
`;

// The stricter candidate: a human also for payments above 200.
const STRICTER = MANIFEST.replace(
  '  - id: quick-veto-for-recalibration',
  `  - id: human-for-medium-payments
    actionTypes: ["ledger:write"]
    effect: REQUIRE_HUMAN
    when: "payload.amount > 200"
    reason: Payments above 200 need a human
  - id: quick-veto-for-recalibration`,
);

const LEDGER_SIGNING_KEY = newSigningKey();

interface Keys {
  tenantId: string;
  agentKey: string;
  adminKey: string;
  approverKey: string;
  auditorKey: string;
}

type DecisionEvent = LedgerEvent & { data: { decision: Decision } };

describe('replay verification and what-if on a running Halm', () => {
  let halm: E2eStack;
  let keys: Keys;
  const proposals: Record<string, string> = {};
  let files: string;

  const call = async <T>(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${halm.gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  const ask = async (name: string, body: unknown, expected: string) => {
    const answer = (await (await authorize(halm.gatewayUrl, keys.agentKey, body)).json()) as { proposalId: string; status: string };
    expect({ name, status: answer.status }).toEqual({ name, status: expected });
    proposals[name] = answer.proposalId;
    return answer.proposalId;
  };

  /** Approves a pending proposal once the projection has it. */
  const approve = (proposalId: string) =>
    eventually(async () => {
      const response = await call('POST', `/api/kernel/proposals/${proposalId}/approve`, keys.approverKey, { reason: 'reviewed' });
      return response.status === 404 ? undefined : response;
    }, 5_000, `the approval of ${proposalId}`);

  const decisionsOfLedger = async (): Promise<DecisionEvent[]> =>
    (await (await LedgerStore.open(halm.nats.connection, halm.nats.topology)).read(keys.tenantId)).filter((event): event is DecisionEvent => event.type === 'DecisionRecorded');

  const cli = () => {
    const lines: string[] = [];
    return { lines, log: (line: string) => void lines.push(line), fail: (line: string) => (lines.push(line), 2) };
  };
  const settings = () => ({ natsUrl: testNatsUrl(), namespace: halm.nats.topology.namespace });
  const parsed = (command: 'replay' | 'what-if', args: string[]) => {
    const result = parseReplayArguments(command, args);
    if (typeof result === 'string') throw new Error(result);
    return result;
  };

  beforeAll(async () => {
    halm = await startE2eStack(['policy-evaluator', 'ledger', 'gateway'], { LEDGER_SIGNING_KEY, CHECKPOINT_INTERVAL_MS: '0' });
    files = mkdtempSync(join(tmpdir(), 'halm-replay-e2e-'));
    const { tenantId, agentKey } = await halm.createTenant('acme');
    keys = {
      tenantId,
      agentKey,
      adminKey: await halm.issueKey(tenantId, ['admin']),
      approverKey: await halm.issueKey(tenantId, ['approver']),
      auditorKey: await halm.issueKey(tenantId, ['auditor']),
    };

    // Under the default manifest: an ALLOW, a DENY, a REQUIRE_HUMAN approved by a human.
    await ask('confident task', { type: 'task:create', payload: { title: 'call the customer back' }, context: { confidenceScore: 0.95 } }, 'ALLOW');
    await ask('unsure webhook', { type: 'webhook:send', payload: { url: 'https://example.com/hook' }, context: { confidenceScore: 0.1 } }, 'DENY');
    expect((await approve(await ask('task without confidence', { type: 'task:create', payload: { title: 'file the report' } }, 'REQUIRE_HUMAN'))).status).toBe(200);

    // A policy change, approved twice as the default manifest wants.
    const published = await call<{ decision: { proposalId: string } }>('POST', '/api/policies', keys.adminKey, { source: MANIFEST });
    expect((await approve(published.body.decision.proposalId)).status).toBe(200);
    const activated = await eventually(async () => {
      const answer = await call<{ decision: { proposalId: string } }>('POST', '/api/policies/2/activate', keys.adminKey, {});
      return answer.status === 200 ? answer : undefined;
    }, 5_000, 'version 2 published');
    expect((await approve(activated.body.decision.proposalId)).status).toBe(200);

    // Under it: a large payment approved, two that reach the budget's warning, one past its critical level, a veto window.
    expect((await approve(await ask('large payment', { type: 'ledger:write', payload: { amount: 550, recipient: 'acme' }, context: { confidenceScore: 0.95 } }, 'REQUIRE_HUMAN'))).status).toBe(200);
    await ask('medium payment', { type: 'ledger:write', payload: { amount: 250, recipient: 'acme' }, context: { confidenceScore: 0.9 } }, 'ALLOW');
    await ask('small payment', { type: 'ledger:write', payload: { amount: 100, recipient: 'acme' }, context: { confidenceScore: 0.9 } }, 'ALLOW');
    await ask('payment past the budget', { type: 'ledger:write', payload: { amount: 150, recipient: 'acme' }, context: { confidenceScore: 0.9 } }, 'DENY');
    const held = await ask('recalibration', { type: 'recalibrate:propose', payload: { model: 'risk-v2', parameters: { temperature: 0.2 } }, context: { confidenceScore: 0.9 } }, 'HELD_FOR_VETO');
    await eventually(async () => {
      const proposal = await call<{ lifecycle: string }>('GET', `/api/kernel/proposals/${held}?waitMs=2000`, keys.auditorKey);
      return proposal.body.lifecycle === 'VETO_WINDOW_ELAPSED' ? proposal : undefined;
    }, 15_000, 'the veto window elapsed');
  });

  afterAll(async () => {
    if (files) rmSync(files, { recursive: true, force: true });
    await halm?.[Symbol.asyncDispose]();
  });

  it('passes every recorded decision, through the API and the CLI', async () => {
    const decisions = await decisionsOfLedger();
    const output = cli();

    const answer = await call<ReplayReport>('POST', '/api/audit/replay', keys.auditorKey, {});
    const code = await replay(settings(), parsed('replay', [keys.tenantId]), output.log, output.fail);

    expect(answer.status).toBe(200);
    expect(answer.body.results.filter((result) => result.verdict !== 'PASS')).toEqual([]);
    expect(answer.body.summary).toEqual({ total: decisions.length, pass: decisions.length, fail: 0, unknown: 0 });
    expect(decisions.map((event) => event.data.decision.status)).toEqual(expect.arrayContaining(['ALLOW', 'DENY', 'REQUIRE_HUMAN', 'HELD_FOR_VETO']));
    expect(decisions.some((event) => event.data.decision.budgetLevel === 'WARNING')).toBe(true);
    expect(code).toBe(0);
    expect(output.lines).toEqual([expect.stringMatching(new RegExp(`${decisions.length} decisions replayed, ${decisions.length} PASS, 0 FAIL, 0 UNKNOWN$`))]);
  });

  it('fails the decision whose recorded outcome was altered in an exported copy, which verify also rejects', async () => {
    const exported = join(files, 'export.json');
    const doctoredFile = join(files, 'doctored.json');
    expect(await exportLedger({ ...settings(), tenantId: keys.tenantId, out: exported }, () => undefined)).toBe(0);
    // The forger turns the denied webhook into an ALLOW and hashes the chain again from there, so the chain alone still links.
    const bundle = JSON.parse(readFileSync(exported, 'utf8')) as LedgerExport;
    const target = bundle.events.find((event) => event.type === 'DecisionRecorded' && (event.data as { decision: Decision }).decision.proposalId === proposals['unsure webhook'])!;
    Object.assign((target.data as { decision: Decision }).decision, { status: 'ALLOW', allowed: true });
    const rechained: LedgerEvent[] = [];
    for (const event of bundle.events) rechained.push(chain(rechained.at(-1) ?? EMPTY_HEAD, event));
    writeFileSync(doctoredFile, JSON.stringify({ ...bundle, events: rechained }));
    const honestRun = cli();
    const doctoredRun = cli();
    const verifyRun = cli();

    expect(await replay(settings(), parsed('replay', ['--file', exported]), honestRun.log, honestRun.fail)).toBe(0);
    expect(await replay(settings(), parsed('replay', ['--file', doctoredFile, '--json']), doctoredRun.log, doctoredRun.fail)).toBe(1);
    const report = JSON.parse(doctoredRun.lines.join('\n')) as ReplayReport;
    expect(report.summary.fail).toBe(1);
    expect(report.results.find((result) => result.verdict === 'FAIL')).toMatchObject({
      proposalId: proposals['unsure webhook'],
      height: target.height,
      differences: [
        { field: 'status', recorded: 'ALLOW', replayed: 'DENY' },
        { field: 'allowed', recorded: true, replayed: false },
      ],
    });
    // the signed checkpoints no longer match the rewritten events
    expect(verifyExportFile({ file: doctoredFile, publicKeys: [publicKeyOfSigningKey(LEDGER_SIGNING_KEY)], json: false }, verifyRun.log, verifyRun.fail)).toBe(1);
  });

  it('lists exactly the decisions a stricter candidate would change, through the API and the CLI', async () => {
    const decisions = await decisionsOfLedger();
    const fromHeight = decisions.find((event) => event.data.decision.proposalId === proposals['large payment'])!.height;
    const candidateFile = join(files, 'stricter.yaml');
    writeFileSync(candidateFile, STRICTER);
    const output = cli();

    const answer = await call<WhatIfReport>('POST', '/api/audit/what-if', keys.auditorKey, { source: STRICTER, fromHeight });
    const code = await whatIf(settings(), parsed('what-if', [keys.tenantId, candidateFile, '--from', String(fromHeight), '--json']), output.log, output.fail);

    expect(answer.status).toBe(200);
    expect(answer.body.summary).toEqual({ examined: decisions.filter((event) => event.height >= fromHeight).length, changed: 2 });
    expect(answer.body.changes.map((change) => [change.proposalId, change.recorded.status, change.candidate.status])).toEqual([
      [proposals['large payment'], 'REQUIRE_HUMAN', 'REQUIRE_HUMAN'],
      [proposals['medium payment'], 'ALLOW', 'REQUIRE_HUMAN'],
    ]);
    expect(answer.body.changes[0]?.candidate.reasons).toEqual(['Payments above 500 need a human', 'Payments above 200 need a human']);
    expect(code).toBe(1);
    expect(JSON.parse(output.lines.join('\n'))).toEqual(answer.body);
  });
});
