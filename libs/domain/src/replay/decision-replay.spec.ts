import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Decision, LedgerEvent } from '@halm/contracts';
import { chain, EMPTY_HEAD } from '../ledger/hash-chain';
import { compileManifest } from '../policy/compile-manifest';
import { evaluate } from '../policy/evaluate';
import { replayDecisions } from './decision-replay';
import { SimulatedKernel, type SimulatedRequest } from './simulated-kernel';

const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 2, 15, 10, minute, second));

/** Spend per agent over an hour, warning at 800 and denied past 1000; payments above 5000 need a human. */
const SPEND_MANIFEST = readFileSync(join(__dirname, 'cases', 'spend-policy.yaml'), 'utf8');

let counter = 0;
const pay = (amount: number, confidenceScore = 0.95, agentId = 'billing'): SimulatedRequest => ({
  proposalId: `prop_pay_${(counter += 1)}`,
  type: 'ledger:write',
  payload: { amount, recipient: 'acme' },
  context: { confidenceScore, agentId },
});
const task = (confidenceScore?: number): SimulatedRequest => ({
  proposalId: `prop_task_${(counter += 1)}`,
  type: 'task:create',
  payload: { title: 'call back' },
  context: confidenceScore === undefined ? {} : { confidenceScore },
});

/** A history with every outcome: the default policy, then the spend policy with its budget, a lockdown, approvals and a veto window. */
const mixedHistory = () => {
  const kernel = new SimulatedKernel('tenant-a');
  const statuses: string[] = [];
  const decide = (request: SimulatedRequest, when: Date) => {
    const decision = kernel.authorize(request, when);
    statuses.push(decision.status);
    return decision;
  };
  decide(task(0.92), at(0));
  decide(task(0.1), at(1));
  decide(task(), at(2));
  const large = decide(pay(20_000), at(3));
  kernel.approve(large.proposalId, at(4));
  const recalibration = decide({ proposalId: 'prop_recalibrate', type: 'recalibrate:propose', payload: { model: 'risk', parameters: {} }, context: { confidenceScore: 0.9 } }, at(5));
  kernel.elapse(recalibration.proposalId);
  decide({ proposalId: 'prop_vault', type: 'vault:write', payload: { path: 'db/password', operation: 'rotate' }, context: { confidenceScore: 0.85 } }, at(6));
  kernel.changePolicy(SPEND_MANIFEST, at(70));
  decide(pay(500), at(71));
  decide(pay(400), at(72));
  decide(pay(200), at(73));
  decide(pay(50, 0.95, 'other-agent'), at(74));
  decide(pay(6000, 0.95, 'third-agent'), at(75));
  const rejected = decide(task(), at(75, 30));
  kernel.reject(rejected.proposalId, at(76));
  kernel.engageLockdown('lck_1', 'investigating a payment', at(77));
  decide(pay(10), at(78));
  decide(task(0.99), at(79));
  kernel.releaseLockdown('lck_1', 'resolved', at(80));
  decide(task(0.99), at(81));
  return { kernel, events: kernel.events, statuses };
};

type DecisionEvent = LedgerEvent & { data: { decision: Decision } };

const decisionEvents = (events: readonly LedgerEvent[]) => events.filter((event): event is DecisionEvent => event.type === 'DecisionRecorded');

/** A copy of `events` with one decision changed, chained again from there: a forger who rewrote the stream and every hash after it. */
const doctored = (events: readonly LedgerEvent[], proposalId: string, change: (decision: Decision) => void): LedgerEvent[] => {
  const copy = JSON.parse(JSON.stringify(events)) as LedgerEvent[];
  const target = decisionEvents(copy).find((event) => event.data.decision.proposalId === proposalId);
  if (!target) throw new Error(`no decision on ${proposalId}`);
  change(target.data.decision);
  const rechained: LedgerEvent[] = [];
  for (const event of copy) {
    const previous = rechained.at(-1);
    rechained.push(chain(previous ? { height: previous.height, hash: previous.hash } : EMPTY_HEAD, event));
  }
  return rechained;
};

describe('replayDecisions', () => {
  it('passes every decision of an honest history: approvals, a veto window, a policy change, budgets and a lockdown', () => {
    const { events, statuses } = mixedHistory();

    const report = replayDecisions(events);

    expect(new Set(statuses)).toEqual(new Set(['ALLOW', 'DENY', 'REQUIRE_HUMAN', 'HELD_FOR_VETO']));
    expect(statuses.filter((status) => status === 'DENY').length).toBeGreaterThanOrEqual(3);
    expect(report.results.filter((result) => result.verdict !== 'PASS')).toEqual([]);
    // the kernel's two policy:update proposals are decisions too
    expect(report.summary).toEqual({ total: statuses.length + 2, pass: statuses.length + 2, fail: 0, unknown: 0 });
  });

  it('records what the history holds: warning reasons, a budget denial and the lockdown reason', () => {
    const decisions = decisionEvents(mixedHistory().events).map((event) => event.data.decision);

    expect(decisions.some((decision) => decision.budgetLevel === 'WARNING' && decision.reasons.some((reason) => reason.startsWith('Budget agent-spend would reach 900')))).toBe(true);
    expect(decisions.some((decision) => decision.status === 'DENY' && decision.budgetLevel === 'CRITICAL')).toBe(true);
    expect(decisions.filter((decision) => decision.stateRead['lockdown'] === true).map((decision) => decision.reasons)).toEqual([
      ['Lockdown active (tenant): investigating a payment'],
      ['Lockdown active (tenant): investigating a payment'],
    ]);
  });

  it('passes decisions taken on a reading that other decisions made stale, as the ledger accepted them', () => {
    const kernel = new SimulatedKernel('tenant-a');
    kernel.changePolicy(SPEND_MANIFEST, at(0));
    const first = pay(100);
    const second = pay(150);
    const reading = kernel.read(second, at(1));
    kernel.authorize(first, at(1));
    // decided on usage 0 while the first payment had already been counted: still OK, so the ledger took it
    const stale = kernel.authorize(second, at(1, 1), reading);

    const report = replayDecisions(kernel.events);

    expect(stale.stateRead['budgets']).toEqual({ 'agent-spend': { scopeKey: 'billing', used: 0 } });
    expect(report.summary).toMatchObject({ fail: 0, unknown: 0 });
  });

  it('fails a decision whose status was altered, naming the field', () => {
    const { events } = mixedHistory();
    const denied = decisionEvents(events).find((event) => event.data.decision.status === 'DENY' && event.data.decision.stateRead['lockdown'] === false)!;

    const report = replayDecisions(doctored(events, denied.data.decision.proposalId, (decision) => void (decision.status = 'ALLOW')));
    const failed = report.results.filter((result) => result.verdict === 'FAIL');

    expect(report.summary.fail).toBe(1);
    expect(failed).toEqual([{ proposalId: denied.data.decision.proposalId, height: denied.height, verdict: 'FAIL', differences: [{ field: 'status', recorded: 'ALLOW', replayed: 'DENY' }], reason: expect.stringContaining('(status)') }]);
  });

  it('fails a decision whose reasons were altered, with both lists', () => {
    const { events } = mixedHistory();
    const allowed = decisionEvents(events).find((event) => event.data.decision.status === 'ALLOW')!;
    const honest = allowed.data.decision.reasons;

    const report = replayDecisions(doctored(events, allowed.data.decision.proposalId, (decision) => void (decision.reasons = ['Approved by the CFO'])));

    expect(report.results.find((result) => result.verdict !== 'PASS')).toMatchObject({ verdict: 'FAIL', differences: [{ field: 'reasons', recorded: ['Approved by the CFO'], replayed: honest }] });
  });

  it('fails a decision whose outcome and reading were forged together, by the ledger check replayed on the fold', () => {
    const kernel = new SimulatedKernel('tenant-a');
    kernel.changePolicy(SPEND_MANIFEST, at(0));
    kernel.authorize(pay(700), at(1));
    const warned = kernel.authorize(pay(200), at(2));
    expect(warned.budgetLevel).toBe('WARNING');
    const spend = compileManifest(SPEND_MANIFEST);
    if (!spend.ok) throw new Error('the spend manifest compiles');
    // the decision as if nothing had been spent: consistent with its forged reading, not with the chain
    const proposal = (decisionEvents(kernel.events).at(-1)!.data as unknown as { proposal: Parameters<typeof evaluate>[0] }).proposal;
    const forged = evaluate(proposal, spend.manifest, warned.policy, { lockdown: false, budgets: { 'agent-spend': { used: 0 } } }, at(2));

    const report = replayDecisions(doctored(kernel.events, warned.proposalId, (decision) => Object.assign(decision, forged)));

    expect(report.results.at(-1)).toMatchObject({
      verdict: 'FAIL',
      differences: [{ field: 'stateRead.budgets.agent-spend.used', recorded: 0, replayed: 700 }],
      reason: expect.stringContaining('the ledger would have refused it'),
    });
  });

  it('fails an ALLOW recorded while the chain holds a lockdown', () => {
    const { events } = mixedHistory();
    const lockedOut = decisionEvents(events).find((event) => event.data.decision.stateRead['lockdown'] === true)!;
    const spend = compileManifest(SPEND_MANIFEST);
    if (!spend.ok) throw new Error('the spend manifest compiles');
    const proposal = (lockedOut.data as unknown as { proposal: Parameters<typeof evaluate>[0] }).proposal;
    // what the agent had spent by then (500 + 400; the 200 was denied), so only the lockdown is forged
    const forged = evaluate(proposal, spend.manifest, lockedOut.data.decision.policy, { lockdown: false, budgets: { 'agent-spend': { used: 900 } } }, new Date(lockedOut.data.decision.decidedAt));

    const report = replayDecisions(doctored(events, proposal.proposalId, (decision) => Object.assign(decision, forged)));

    expect(forged.status).toBe('ALLOW');
    expect(report.results.find((result) => result.proposalId === proposal.proposalId)).toMatchObject({
      verdict: 'FAIL',
      differences: [{ field: 'stateRead.lockdown', recorded: false, replayed: true }],
    });
  });

  it('answers UNKNOWN for a decision naming a version the chain never published, or another hash', () => {
    const { events } = mixedHistory();
    const [first, second] = decisionEvents(events).filter((event) => event.data.decision.status === 'ALLOW');

    const missing = replayDecisions(doctored(events, first!.data.decision.proposalId, (decision) => void (decision.policy = { version: 7, hash: decision.policy.hash })));
    const mismatched = replayDecisions(doctored(events, second!.data.decision.proposalId, (decision) => void (decision.policy = { ...decision.policy, hash: 'f'.repeat(64) })));

    expect(missing.summary).toMatchObject({ unknown: 1, fail: 0 });
    expect(missing.results.find((result) => result.verdict === 'UNKNOWN')).toEqual({
      proposalId: first!.data.decision.proposalId,
      height: first!.height,
      verdict: 'UNKNOWN',
      differences: [],
      reason: 'policy version 7 was never published in this chain before the decision: its snapshot is missing',
    });
    expect(mismatched.results.find((result) => result.verdict === 'UNKNOWN')?.reason).toMatch(/the snapshot does not match/);
  });

  it('answers UNKNOWN when the published snapshot itself was altered', () => {
    const { events } = mixedHistory();
    const copy = JSON.parse(JSON.stringify(events)) as LedgerEvent[];
    const published = copy.find((event) => event.type === 'PolicyPublished' && (event.data as { version: number }).version === 2)!;
    (published.data as { manifest: { autoCommitThreshold: number } }).manifest.autoCommitThreshold = 0.1;

    const report = replayDecisions(copy);

    expect(report.summary.unknown).toBeGreaterThan(0);
    expect(report.results.find((result) => result.verdict === 'UNKNOWN')?.reason).toMatch(/does not hash to/);
  });

  it('reports only the decisions of a height range, folding the events before it', () => {
    const { events } = mixedHistory();
    const spendDecisions = decisionEvents(events).filter((event) => event.data.decision.policy.version === 2);
    const fromHeight = spendDecisions[0]!.height;
    const toHeight = spendDecisions[2]!.height;

    const report = replayDecisions(events, { fromHeight, toHeight });

    expect(report.results.map((result) => result.height)).toEqual(spendDecisions.slice(0, 3).map((event) => event.height));
    expect(report.summary).toEqual({ total: 3, pass: 3, fail: 0, unknown: 0 });
  });

  it('passes every decision of any honest history', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('pay' as const), amount: fc.integer({ min: 0, max: 8000 }), confidence: fc.double({ min: 0, max: 1, noNaN: true }), agent: fc.constantFrom('a', 'b') }),
      fc.record({ kind: fc.constant('task' as const), confidence: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }) }),
      fc.record({ kind: fc.constant('concurrent-pays' as const), first: fc.integer({ min: 0, max: 600 }), second: fc.integer({ min: 0, max: 600 }) }),
      fc.record({ kind: fc.constantFrom('settle' as const, 'lockdown' as const, 'policy' as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
        const kernel = new SimulatedKernel('tenant-p');
        const open: string[] = [];
        let lockdown: string | undefined;
        let policies = 0;
        steps.forEach((current, index) => {
          const when = new Date(Date.UTC(2026, 2, 15, 10, 0, 0) + index * 7 * 60_000);
          if (current.kind === 'pay' || current.kind === 'task') {
            const request = current.kind === 'pay' ? pay(current.amount, current.confidence, current.agent) : task(current.confidence);
            const decision = kernel.authorize(request, when);
            if (decision.status === 'REQUIRE_HUMAN') open.push(decision.proposalId);
          } else if (current.kind === 'concurrent-pays') {
            // two evaluators read the same usage; the ledger records the second only if its level still holds, else it is decided again
            const second = pay(current.second);
            const reading = kernel.read(second, when);
            kernel.authorize(pay(current.first), when);
            kernel.authorize(second, new Date(when.getTime() + 1), reading);
          } else if (current.kind === 'settle' && open.length > 0) {
            const proposalId = open.shift()!;
            if (index % 2 === 0) kernel.approve(proposalId, when);
            else kernel.reject(proposalId, when);
          } else if (current.kind === 'lockdown') {
            if (lockdown) kernel.releaseLockdown(lockdown, 'resolved', when);
            else kernel.engageLockdown(`lck_${index}`, 'drill', when);
            lockdown = lockdown ? undefined : `lck_${index}`;
          } else if (current.kind === 'policy' && !lockdown && policies < 2) {
            policies += 1;
            kernel.changePolicy(policies === 1 ? SPEND_MANIFEST : SPEND_MANIFEST.replace('warning: 800', 'warning: 300'), when);
          }
        });
        const report = replayDecisions(kernel.events);
        return report.summary.pass === report.summary.total;
      }),
      { numRuns: 40 },
    );
  });
});
