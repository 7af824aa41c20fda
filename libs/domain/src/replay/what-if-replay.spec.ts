import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Decision, LedgerEvent } from '@halm/contracts';
import { compileManifest } from '../policy/compile-manifest';
import type { CompiledManifest } from '../policy/manifest';
import { SimulatedKernel, type SimulatedRequest } from './simulated-kernel';
import { whatIf } from './what-if-replay';

const SPEND_MANIFEST = readFileSync(join(__dirname, 'cases', 'spend-policy.yaml'), 'utf8');

const at = (minute: number) => new Date(Date.UTC(2026, 2, 15, 10, minute));

const compiled = (source: string): CompiledManifest => {
  const compilation = compileManifest(source);
  if (!compilation.ok) throw new Error(JSON.stringify(compilation.errors));
  return compilation.manifest;
};

let counter = 0;
const pay = (amount: number, confidenceScore = 0.95): SimulatedRequest => ({
  proposalId: `prop_pay_${(counter += 1)}`,
  type: 'ledger:write',
  payload: { amount, recipient: 'acme' },
  context: { confidenceScore, agentId: 'billing' },
});
const task = (confidenceScore: number): SimulatedRequest => ({ proposalId: `prop_task_${(counter += 1)}`, type: 'task:create', payload: { title: 'call back' }, context: { confidenceScore } });

const decisionsOf = (events: readonly LedgerEvent[]) =>
  events.filter((event) => event.type === 'DecisionRecorded').map((event) => ({ height: event.height, decision: (event.data as { decision: Decision }).decision }));

describe('whatIf', () => {
  it('lists exactly the decisions a stricter threshold would change, reasons included, with both outcomes', () => {
    const kernel = new SimulatedKernel('tenant-a');
    kernel.changePolicy(SPEND_MANIFEST, at(0));
    const confident = kernel.authorize(task(0.99), at(1));
    const borderline = kernel.authorize(task(0.85), at(2));
    const unsure = kernel.authorize(task(0.5), at(3));
    const stricter = compiled(SPEND_MANIFEST.replace('autoCommitThreshold: 0.8', 'autoCommitThreshold: 0.9'));

    const report = whatIf(kernel.events, stricter, { fromHeight: decisionsOf(kernel.events).find((entry) => entry.decision.proposalId === confident.proposalId)!.height });

    expect([confident.status, borderline.status, unsure.status]).toEqual(['ALLOW', 'ALLOW', 'REQUIRE_HUMAN']);
    expect(report.summary).toEqual({ examined: 3, changed: 3 });
    expect(report.changes).toEqual([
      {
        proposalId: confident.proposalId,
        height: expect.any(Number),
        type: 'task:create',
        recorded: { status: 'ALLOW', reasons: ['Action complies with active policy manifest', 'Confidence 0.99 exceeds auto-commit threshold 0.8'], constraints: { maxRetries: 2 } },
        candidate: { status: 'ALLOW', reasons: ['Action complies with active policy manifest', 'Confidence 0.99 exceeds auto-commit threshold 0.9'], constraints: { maxRetries: 2 } },
      },
      {
        proposalId: borderline.proposalId,
        height: expect.any(Number),
        type: 'task:create',
        recorded: { status: 'ALLOW', reasons: ['Action complies with active policy manifest', 'Confidence 0.85 exceeds auto-commit threshold 0.8'], constraints: { maxRetries: 2 } },
        candidate: { status: 'REQUIRE_HUMAN', reasons: ['Confidence 0.85 is below auto-commit threshold 0.9'], constraints: { maxRetries: 2 } },
      },
      {
        proposalId: unsure.proposalId,
        height: expect.any(Number),
        type: 'task:create',
        recorded: { status: 'REQUIRE_HUMAN', reasons: ['Confidence 0.5 is below auto-commit threshold 0.8'], constraints: { maxRetries: 2 } },
        candidate: { status: 'REQUIRE_HUMAN', reasons: ['Confidence 0.5 is below auto-commit threshold 0.9'], constraints: { maxRetries: 2 } },
      },
    ]);
  });

  it('changes nothing when the candidate is the manifest every decision was taken with', () => {
    const kernel = new SimulatedKernel('tenant-a');
    kernel.changePolicy(SPEND_MANIFEST, at(0));
    for (const [index, amount] of [300, 500, 150, 400, 20].entries()) kernel.authorize(pay(amount), at(index + 1));
    kernel.engageLockdown('lck_1', 'drill', at(10));
    kernel.authorize(pay(10), at(11));
    const spendDecisions = decisionsOf(kernel.events).filter((entry) => entry.decision.policy.version === 2);

    const report = whatIf(kernel.events, compiled(SPEND_MANIFEST), { fromHeight: spendDecisions[0]!.height });

    expect(spendDecisions.map((entry) => entry.decision.status)).toEqual(['ALLOW', 'ALLOW', 'ALLOW', 'DENY', 'ALLOW', 'DENY']);
    expect(report).toEqual({ summary: { examined: 6, changed: 0 }, changes: [] });
  });

  it('counts the candidate’s own budgets along the history: what it denies charges nothing, what it allows does', () => {
    const kernel = new SimulatedKernel('tenant-a');
    kernel.changePolicy(SPEND_MANIFEST, at(0));
    const payments = [600, 300, 50, 200].map((amount, index) => kernel.authorize(pay(amount), at(index + 1)));
    const tighter = compiled(SPEND_MANIFEST.replace('warning: 800', 'warning: 400').replace('critical: 1000', 'critical: 700'));

    const report = whatIf(kernel.events, tighter, { fromHeight: decisionsOf(kernel.events).find((entry) => entry.decision.proposalId === payments[0]!.proposalId)!.height });

    // recorded: 600 OK, 900 WARNING, 950 WARNING, 1150 DENY. Candidate: 600 WARNING, 900 DENY (not charged), 650 WARNING, 850 DENY
    expect(report.changes.map((change) => [change.recorded.status, change.candidate.status, change.candidate.reasons.at(-1)])).toEqual([
      ['ALLOW', 'ALLOW', 'Budget agent-spend would reach 600 of 700 (warning at 400)'],
      ['ALLOW', 'DENY', 'Budget agent-spend would reach 900 of 700 (critical)'],
      ['ALLOW', 'ALLOW', 'Budget agent-spend would reach 650 of 700 (warning at 400)'],
      ['DENY', 'DENY', 'Budget agent-spend would reach 850 of 700 (critical)'],
    ]);
  });

  it('counts the charges of decisions before the range without listing them', () => {
    const kernel = new SimulatedKernel('tenant-a');
    kernel.changePolicy(SPEND_MANIFEST, at(0));
    kernel.authorize(pay(650), at(1));
    const later = kernel.authorize(pay(100), at(2));
    const tighter = compiled(SPEND_MANIFEST.replace('warning: 800', 'warning: 600').replace('critical: 1000', 'critical: 700'));

    const report = whatIf(kernel.events, tighter, { fromHeight: decisionsOf(kernel.events).find((entry) => entry.decision.proposalId === later.proposalId)!.height });

    expect(report.summary).toEqual({ examined: 1, changed: 1 });
    expect(report.changes[0]?.candidate).toMatchObject({ status: 'DENY', reasons: ['Budget agent-spend would reach 750 of 700 (critical)'] });
  });

  it('gives back a rejected proposal’s charge, as the ledger does', () => {
    const kernel = new SimulatedKernel('tenant-a');
    kernel.changePolicy(SPEND_MANIFEST.replace('payload.amount > 5000', 'payload.amount > 500'), at(0));
    const large = kernel.authorize(pay(600), at(1));
    kernel.reject(large.proposalId, at(2));
    const small = kernel.authorize(pay(300), at(3));
    const tighter = compiled(SPEND_MANIFEST.replace('payload.amount > 5000', 'payload.amount > 500').replace('critical: 1000', 'critical: 800'));

    const report = whatIf(kernel.events, tighter, { fromHeight: decisionsOf(kernel.events).find((entry) => entry.decision.proposalId === small.proposalId)!.height });

    expect(large.status).toBe('REQUIRE_HUMAN');
    expect(report).toEqual({ summary: { examined: 1, changed: 0 }, changes: [] });
  });
});
