import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Decision, LedgerEvent } from '@halm/contracts';
import {
  buildLedgerExport,
  chain,
  EMPTY_HEAD,
  eventLeafHash,
  merkleRoot,
  publicKeyId,
  publicKeyOf,
  signCheckpoint,
  signingKeyFrom,
  SimulatedKernel,
  type ReplayReport,
  type SimulatedRequest,
  type WhatIfReport,
} from '@halm/domain';
import { CheckpointStore, ensureCheckpointStream, ensureLedgerStream, LedgerStore } from '@halm/messaging';
import { newSigningKey, openTestNats, testNatsUrl, type TestNats } from '@halm/testing';
import { parseReplayArguments, replay, whatIf } from './replay.command';
import { verifyLive } from './verify-live.command';

const SPEND_MANIFEST = readFileSync(join(__dirname, '..', '..', '..', '..', 'libs', 'domain', 'src', 'replay', 'cases', 'spend-policy.yaml'), 'utf8');
const signingKey = newSigningKey();
const publicKey = publicKeyOf(signingKeyFrom(signingKey));

const at = (minute: number) => new Date(Date.UTC(2026, 2, 15, 10, minute));

let counter = 0;
const pay = (amount: number, confidenceScore = 0.95): SimulatedRequest => ({
  proposalId: `prop_pay_${(counter += 1)}`,
  type: 'ledger:write',
  payload: { amount, recipient: 'acme' },
  context: { confidenceScore, agentId: 'billing' },
});

const historyOf = (tenantId: string): LedgerEvent[] => {
  const kernel = new SimulatedKernel(tenantId);
  kernel.authorize({ proposalId: `prop_task_${tenantId}`, type: 'task:create', payload: { title: 'call back' }, context: { confidenceScore: 0.9 } }, at(0));
  kernel.changePolicy(SPEND_MANIFEST, at(1));
  kernel.authorize(pay(500), at(2));
  kernel.authorize(pay(400, 0.85), at(3));
  kernel.authorize(pay(200), at(4));
  return kernel.events;
};

/** One decision of `events` changed by `change`, the chain hashed again after it: what a forger with write access to the stream would leave. */
const doctored = (events: LedgerEvent[], change: (decision: Decision) => void): LedgerEvent[] => {
  const copy = JSON.parse(JSON.stringify(events)) as LedgerEvent[];
  change((copy.filter((event) => event.type === 'DecisionRecorded').at(-2)!.data as { decision: Decision }).decision);
  const rechained: LedgerEvent[] = [];
  for (const event of copy) rechained.push(chain(rechained.at(-1) ?? EMPTY_HEAD, event));
  return rechained;
};

const record = async (nats: TestNats, events: LedgerEvent[]) => {
  const store = await LedgerStore.open(nats.connection, nats.topology);
  for (const event of events) {
    const head = await store.head(event.tenantId);
    await store.append(event, head.sequence, `${event.tenantId}:${event.eventId}`);
  }
};

const captured = () => {
  const lines: string[] = [];
  return { lines, log: (line: string) => void lines.push(line), fail: (line: string) => (lines.push(line), 2), json: <T>() => JSON.parse(lines.join('\n')) as T };
};

const workspace = () => {
  const directory = mkdtempSync(join(tmpdir(), 'halm-replay-'));
  return { directory, [Symbol.dispose]: () => rmSync(directory, { recursive: true, force: true }) };
};

const args = (command: 'replay' | 'what-if', list: string[]) => {
  const parsed = parseReplayArguments(command, list);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
};

describe('./halm replay, ./halm what-if and ./halm verify --tenant', () => {
  let nats: TestNats;
  const honest = historyOf('tenant-honest');
  const settings = () => ({ natsUrl: testNatsUrl(), namespace: nats.topology.namespace });

  beforeAll(async () => {
    nats = await openTestNats(async (connection, names) => {
      const manager = await jetstreamManager(connection);
      await ensureLedgerStream(manager, names);
      await ensureCheckpointStream(manager, names);
    });
    await record(nats, honest);
    await record(nats, doctored(historyOf('tenant-doctored'), (decision) => void (decision.reasons = ['Approved by the CFO'])));
    await record(nats, doctored(historyOf('tenant-unknown'), (decision) => void (decision.policy = { ...decision.policy, version: 9 })));
  });

  afterAll(async () => {
    await nats?.[Symbol.asyncDispose]();
  });

  it('exits 0 when every decision passes, 1 naming the field of one altered, 3 when one names a missing snapshot', async () => {
    const clean = captured();
    const failing = captured();
    const unknown = captured();

    expect(await replay(settings(), args('replay', ['tenant-honest']), clean.log, clean.fail)).toBe(0);
    expect(await replay(settings(), args('replay', ['tenant-doctored']), failing.log, failing.fail)).toBe(1);
    expect(await replay(settings(), args('replay', ['tenant-unknown']), unknown.log, unknown.fail)).toBe(3);

    expect(clean.lines).toEqual([`tenant tenant-honest, heights 1 to ${honest.length}: 6 decisions replayed, 6 PASS, 0 FAIL, 0 UNKNOWN`]);
    expect(failing.lines[0]).toMatch(/5 PASS, 1 FAIL, 0 UNKNOWN$/);
    expect(failing.lines[1]).toMatch(/^FAIL prop_pay_\d+ at height \d+: policy version 2 gives another decision for the state it read \(reasons\)$/);
    expect(failing.lines[2]).toMatch(/^ {4}reasons: recorded \["Approved by the CFO"\], replayed \["Action complies/);
    expect(unknown.lines[1]).toMatch(/^UNKNOWN prop_pay_\d+ at height \d+: policy version 9 was never published in this chain/);
  });

  it('prints the report as JSON, for a height range', async () => {
    const decisions = honest.filter((event) => event.type === 'DecisionRecorded');
    const output = captured();

    const code = await replay(settings(), args('replay', ['tenant-honest', '--from', String(decisions[3]!.height), '--to', String(decisions[4]!.height), '--json']), output.log, output.fail);

    expect(code).toBe(0);
    expect(output.json<ReplayReport>()).toEqual({
      summary: { total: 2, pass: 2, fail: 0, unknown: 0 },
      results: [decisions[3]!, decisions[4]!].map((event) => ({ proposalId: (event.data as { decision: Decision }).decision.proposalId, height: event.height, verdict: 'PASS', differences: [] })),
    });
  });

  it('exits 2 for a tenant without events', async () => {
    const output = captured();

    expect(await replay(settings(), args('replay', ['nobody']), output.log, output.fail)).toBe(2);
    expect(output.lines).toEqual(['tenant nobody has no ledger events']);
  });

  it('replays an export file offline: an altered decision fails even when its chain was hashed again', async () => {
    using files = workspace();
    const honestFile = join(files.directory, 'honest.json');
    const doctoredFile = join(files.directory, 'doctored.json');
    writeFileSync(honestFile, JSON.stringify(buildLedgerExport('tenant-honest', honest, [], at(30).toISOString())));
    writeFileSync(doctoredFile, JSON.stringify(buildLedgerExport('tenant-honest', doctored(honest, (decision) => void (decision.status = 'HELD_FOR_VETO')), [], at(30).toISOString())));
    const clean = captured();
    const failing = captured();

    expect(await replay(settings(), args('replay', ['--file', honestFile]), clean.log, clean.fail)).toBe(0);
    expect(await replay(settings(), args('replay', ['--file', doctoredFile, '--json']), failing.log, failing.fail)).toBe(1);
    expect(failing.json<ReplayReport>().results.find((result) => result.verdict === 'FAIL')?.differences).toEqual([{ field: 'status', recorded: 'HELD_FOR_VETO', replayed: 'ALLOW' }]);
    expect(await replay(settings(), args('replay', ['tenant-other', '--file', honestFile]), clean.log, clean.fail)).toBe(2);
    expect(clean.lines.at(-1)).toBe(`${honestFile} holds tenant tenant-honest, not tenant-other`);
  });

  it('lists what a candidate manifest would change, exits 0 when nothing would, 2 when it does not compile', async () => {
    using files = workspace();
    const stricter = join(files.directory, 'stricter.yaml');
    const same = join(files.directory, 'same.yaml');
    const broken = join(files.directory, 'broken.yaml');
    writeFileSync(stricter, SPEND_MANIFEST.replace('critical: 1000', 'critical: 850').replace('warning: 800', 'warning: 600'));
    writeFileSync(same, SPEND_MANIFEST);
    writeFileSync(broken, 'autoCommitThreshold: 0.8\nrules:\n  - id: x\n    actionTypes: ["*"]\n    effect: ALLOW\n    when: payload.amount >\n    reason: x\n');
    const decisions = honest.filter((event) => event.type === 'DecisionRecorded');
    const changes = captured();
    const none = captured();
    const usage = captured();

    const payments = String(decisions[3]!.height);
    expect(await whatIf(settings(), args('what-if', ['tenant-honest', stricter, '--from', payments, '--json']), changes.log, changes.fail)).toBe(1);
    expect(await whatIf(settings(), args('what-if', ['tenant-honest', same, '--from', payments]), none.log, none.fail)).toBe(0);
    expect(await whatIf(settings(), args('what-if', ['tenant-honest', broken]), usage.log, usage.fail)).toBe(2);

    const report = changes.json<WhatIfReport>();
    // 500 stays below the new warning; 500 + 400 passes the new critical level and is denied, so the 200 after it is counted on 500 alone
    expect(report.summary).toEqual({ examined: 3, changed: 2 });
    expect(report.changes.map((change) => [change.recorded.status, change.candidate.status, change.candidate.reasons.at(-1)])).toEqual([
      ['ALLOW', 'DENY', 'Budget agent-spend would reach 900 of 850 (critical)'],
      ['DENY', 'ALLOW', 'Budget agent-spend would reach 700 of 850 (warning at 600)'],
    ]);
    expect(none.lines).toEqual([expect.stringMatching(/: 3 decisions decided again with .*same\.yaml \(hash [0-9a-f]{12}…\): 0 would change$/)]);
    expect(usage.lines[0]).toMatch(/broken\.yaml does not compile:\n {2}\/rules\/0\/when: /);
  });

  it('verifies a tenant live as it would verify its export: 0 intact, 1 for a broken chain', async () => {
    const tenantId = 'tenant-honest';
    const checkpoints = await CheckpointStore.open(nats.connection, nats.topology);
    await checkpoints.publish(
      signCheckpoint({ tenantId, treeSize: honest.length, rootHash: merkleRoot(honest.map(eventLeafHash)).toString('hex'), issuedAt: at(40).toISOString() }, signingKeyFrom(signingKey), publicKeyId(publicKey)),
    );
    const broken = historyOf('tenant-broken');
    broken[3] = { ...broken[3]!, data: { forged: true } };
    await record(nats, broken);
    const intact = captured();
    const failing = captured();
    const options = { ...settings(), publicKeys: [publicKey], envFile: '/nonexistent', checkpointTimeoutMs: 0 };

    expect(await verifyLive({ ...options, tenantId, json: false }, intact.log, intact.fail)).toBe(0);
    expect(await verifyLive({ ...options, tenantId: 'tenant-broken', json: true }, failing.log, failing.fail)).toBe(1);

    expect(intact.lines[1]).toMatch(/^OK: /);
    expect(failing.json<{ ok: boolean; problems: { code: string; height?: number }[] }>()).toMatchObject({ ok: false, problems: [{ code: 'EVENT_ALTERED', height: 4 }] });
  });
});
