/**
 * Replay verification: how many recorded decisions per second `replayDecisions` re-folds and
 * judges (PASS / FAIL / UNKNOWN), against its floor: bare `evaluate` calls on exactly the same
 * decisions (each one's proposal, the compiled snapshot it names, the state it recorded reading,
 * its time), which is the work no replay can skip. The ratio between the two is the policy
 * evaluation's share of a replay; two references show where the rest goes (the ledger fold
 * alone, and what-if with a candidate manifest). Same process, same run, interleaved rounds.
 *
 * The history is recorded by `SimulatedKernel` as the running kernel records it (the default
 * manifest, then a policy change midway, per-agent budgets, approvals), then read back from
 * JSON as the stream delivers it. Before anything is timed, the replay must pass every
 * decision, fail a doctored one, and the floor must reproduce every recorded decision; the run
 * stops with exit code 1 otherwise.
 *
 *   node benchmarks/dist/replay.bench.js [--decisions 100000] [--rounds 7] [--round-ms 1000] [--warmup-ms 1000] [--quick]
 *   ./halm bench replay [-- options]
 */
import type { Decision, LedgerEvent, Proposal } from '@halm/contracts';
import { compileManifest, DecisionReplay, replayDecisions, sameJson, SimulatedKernel, TenantLedger, evaluate, whatIf, type CompiledManifest, type SimulatedRequest, type TenantState } from '@halm/domain';
import { type Contender, describeMachine, formatNumber, machine, markdownTable, measureInterleaved, measureOptions, median, publish } from './harness';

const NAME = 'replay';
const TENANT = 'tenant-bench';
const DEFAULT_DECISIONS = 100_000;
const AGENTS = 500;
const SPACING_MS = 150;

/** The manifest the tenant moves to halfway: an hourly per-agent budget, a stricter threshold, a CEL rule on the time of day. */
const SECOND_MANIFEST = `
description: payments team, second version
autoCommitThreshold: 0.85
rules:
  - id: deny-very-low-confidence
    actionTypes: ["*"]
    effect: DENY
    when: has(context.confidenceScore) && context.confidenceScore < 0.3
    reason: Confidence is below the floor of 0.3 for any action
  - id: no-webhooks-at-night
    actionTypes: [webhook:send]
    effect: DENY
    when: now.getHours("UTC") >= 23
    reason: No webhooks at night
  - id: large-payment-needs-human
    actionTypes: [ledger:write]
    effect: REQUIRE_HUMAN
    when: payload.amount > 4000
    reason: Amount above 4000 needs a human approver
  - id: policy-change-needs-human
    actionTypes: [policy:update]
    effect: REQUIRE_HUMAN
    reason: Policy changes need a human approver
  - id: recalibration-veto-window
    actionTypes: [recalibrate:propose]
    effect: HELD_FOR_VETO
    vetoWindow: 1h
    reason: Model recalibrations wait one hour for a veto
  - id: standard-actions
    actionTypes: ["*"]
    effect: ALLOW
    reason: Action complies with active policy manifest
    constraints: { maxRetries: 3 }
budgets:
  - id: hourly-payments
    actionTypes: [ledger:write]
    scope: agent
    window: 1h
    amount: double(payload.amount)
    warning: 20000
    critical: 30000
`;

const decisionsOption = (args: readonly string[], fallback: number): number => {
  const index = args.indexOf('--decisions');
  if (index < 0) return fallback;
  const parsed = Number(args[index + 1]);
  if (!Number.isInteger(parsed) || parsed < 100) throw new Error('--decisions needs a whole number of at least 100');
  return parsed;
};

/** The i-th request of the mix: payments of many agents (budgets, approvals), tasks, secrets, webhooks, recalibrations, and now and then an unsure agent. */
const requestOf = (index: number): SimulatedRequest => {
  const agentId = `agent-${index % AGENTS}`;
  const confidenceScore = index % 17 === 0 ? 0.2 : index % 11 === 0 ? 0.7 : 0.9 + (index % 10) / 100;
  const context = { confidenceScore, agentId, sessionId: `session-${index % 50}` };
  const proposalId = `prop_bench_${index}`;
  switch (index % 8) {
    case 0:
    case 1:
    case 2:
      return { proposalId, type: 'ledger:write', payload: { amount: 200 + ((index * 37) % 4900), recipient: `vendor-${index % 40}`, currency: 'EUR' }, context };
    case 3:
      return { proposalId, type: 'task:create', payload: { title: `Follow up ${index}`, assignee: agentId }, context };
    case 4:
      return { proposalId, type: 'vault:write', payload: { path: `secrets/${index % 30}/token`, operation: 'rotate' }, context };
    case 5:
      return { proposalId, type: 'webhook:send', payload: { url: 'https://example.com/hooks/orders', event: 'order.shipped', body: { order: index } }, context };
    case 6:
      return { proposalId, type: 'dialogue:commit', payload: { commitment: `Refund order ${index} by Friday`, counterparty: 'customer' }, context };
    default:
      return index % 64 === 7 ? { proposalId, type: 'recalibrate:propose', payload: { model: 'risk-scorer', parameters: { threshold: 0.8 } }, context } : { proposalId, type: 'session:write', payload: { key: 'step', value: index }, context };
  }
};

/** `decisions` decisions recorded as the kernel records them, read back from JSON as the ledger stream delivers them. */
const recordHistory = (decisions: number): LedgerEvent[] => {
  const kernel = new SimulatedKernel(TENANT);
  // From 20:00 UTC, so that the second manifest's night rule denies the last hours' webhooks.
  const start = Date.UTC(2026, 2, 15, 20, 0, 0);
  for (let index = 0; index < decisions; index += 1) {
    const at = new Date(start + index * SPACING_MS);
    if (index === decisions >> 1) kernel.changePolicy(SECOND_MANIFEST, at);
    const decision = kernel.authorize(requestOf(index), at);
    // Most waiting proposals are settled by a human a moment later; some are rejected, which gives their budget charge back.
    if (decision.status === 'REQUIRE_HUMAN' && index % 4 !== 3) {
      const later = new Date(at.getTime() + 1);
      if (index % 5 === 0) kernel.reject(decision.proposalId, later);
      else kernel.approve(decision.proposalId, later);
    }
  }
  return kernel.events.map((event) => JSON.parse(JSON.stringify(event)) as LedgerEvent);
};

interface FloorInput {
  proposal: Proposal;
  manifest: CompiledManifest;
  policy: { version: number; hash: string };
  state: TenantState;
  now: Date;
  recorded: Decision;
}

/**
 * What the floor evaluates, prepared once: each decision's inputs as replay rebuilds them (the
 * snapshot the chain published under its version, the usage and lockdown it recorded reading).
 */
const floorInputs = (events: readonly LedgerEvent[]): FloorInput[] => {
  const compiled = new Map<number, CompiledManifest>();
  const inputs: FloorInput[] = [];
  for (const event of events) {
    if (event.type === 'PolicyPublished') {
      const { version, manifest } = event.data as { version: number; manifest: object };
      const compilation = compileManifest(manifest);
      if (!compilation.ok) throw new Error(`version ${version} does not compile`);
      compiled.set(version, compilation.manifest);
    }
    if (event.type !== 'DecisionRecorded') continue;
    const { proposal, decision } = event.data as { proposal: Proposal; decision: Decision };
    const read = decision.stateRead as { lockdown: boolean; lockdownReason?: string; budgets?: Record<string, { used: number }> };
    const budgets = Object.fromEntries(Object.entries(read.budgets ?? {}).map(([id, entry]) => [id, { used: entry.used }]));
    inputs.push({ proposal, manifest: compiled.get(decision.policy.version)!, policy: decision.policy, state: { lockdown: read.lockdown, budgets }, now: new Date(decision.decidedAt), recorded: decision });
  }
  return inputs;
};

const statusCode = { ALLOW: 1, DENY: 2, REQUIRE_HUMAN: 3, HELD_FOR_VETO: 4 } as const;

const main = (): number => {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const options = measureOptions(args, quick ? { rounds: 3, roundMs: 200, warmupMs: 300 } : { rounds: 7, roundMs: 1_000, warmupMs: 1_000 });
  const decisions = decisionsOption(args, quick ? 20_000 : DEFAULT_DECISIONS);
  const started = machine();

  process.stdout.write(`replay: recording ${formatNumber(decisions)} decisions with SimulatedKernel…\n`);
  const events = recordHistory(decisions);
  const decisionEvents = events.filter((event) => event.type === 'DecisionRecorded');
  const count = decisionEvents.length;
  const inputs = floorInputs(events);
  const statuses = new Map<string, number>();
  for (const input of inputs) statuses.set(input.recorded.status, (statuses.get(input.recorded.status) ?? 0) + 1);
  const warnings = inputs.filter((input) => input.recorded.budgetLevel === 'WARNING').length;

  // 1. Before timing: the replay passes every decision and catches a doctored one; the floor reproduces every decision.
  const honest = replayDecisions(events);
  if (honest.summary.pass !== count) {
    process.stderr.write(`replay: nothing was timed: the honest history does not replay PASS (${JSON.stringify(honest.summary)})\n`);
    return 1;
  }
  const middle = decisionEvents[count >> 1]!;
  const altered = JSON.parse(JSON.stringify(middle)) as LedgerEvent & { data: { decision: Decision } };
  altered.data.decision.status = altered.data.decision.status === 'DENY' ? 'ALLOW' : 'DENY';
  const doctored = events.map((event) => (event === middle ? altered : event));
  if (replayDecisions(doctored).summary.fail !== 1) {
    process.stderr.write('replay: nothing was timed: a doctored decision does not replay FAIL\n');
    return 1;
  }
  const mismatch = inputs.findIndex((input) => !sameJson(evaluate(input.proposal, input.manifest, input.policy, input.state, input.now), input.recorded));
  if (mismatch >= 0) {
    process.stderr.write(`replay: nothing was timed: the floor's evaluate does not reproduce decision ${mismatch}\n`);
    return 1;
  }
  const candidate = compileManifest(SECOND_MANIFEST);
  if (!candidate.ok) throw new Error('the second manifest compiles');
  const candidateChanges = whatIf(events, candidate.manifest).summary.changed;
  process.stdout.write(
    `replay: ${formatNumber(events.length)} events, ${formatNumber(count)} decisions (${[...statuses].map(([status, total]) => `${status} ${formatNumber(total)}`).join(', ')}; ${formatNumber(warnings)} at a budget warning); ` +
      `all replay PASS, a doctored one FAILs, the floor reproduces each\n` +
      `replay: ${options.rounds} rounds of ${options.roundMs} ms per contender after ${options.warmupMs} ms of warm-up each…\n`,
  );

  // 2. Every contender interleaved; one operation is one decision. Each pass also records the
  // process CPU time it took (user + system, all threads, GC included): on a machine busy with
  // other work, wall time stretches with the load, CPU time much less.
  const cpuSeconds = new Map<string, number[]>();
  const contender = (name: string, work: () => number): Contender => {
    const samples: number[] = [];
    cpuSeconds.set(name, samples);
    return {
      name,
      operationsPerPass: count,
      pass: () => {
        const before = process.cpuUsage();
        const result = work();
        const used = process.cpuUsage(before);
        samples.push((used.user + used.system) / 1e6);
        return result;
      },
    };
  };
  const contenders: Contender[] = [
    contender('floor: bare evaluate', () => {
      let checksum = 0;
      for (let index = 0; index < inputs.length; index += 1) {
        const input = inputs[index]!;
        checksum += statusCode[evaluate(input.proposal, input.manifest, input.policy, input.state, input.now).status];
      }
      return checksum;
    }),
    contender('Halm: replay', () => {
      const replay = new DecisionReplay();
      for (let index = 0; index < events.length; index += 1) replay.apply(events[index]!);
      const { summary } = replay.report();
      if (summary.pass !== count) throw new Error('the replay stopped passing');
      return summary.pass;
    }),
    contender('reference: ledger fold alone', () => {
      const ledger = new TenantLedger(TENANT);
      for (let index = 0; index < events.length; index += 1) ledger.apply(events[index]!);
      return ledger.latestVersion();
    }),
    contender('reference: what-if', () => whatIf(events, candidate.manifest).summary.changed),
  ];
  const results = measureInterleaved(contenders, options);
  const [floor, halm, fold, candidateRun] = results as [(typeof results)[number], (typeof results)[number], (typeof results)[number], (typeof results)[number]];
  const cpuMicros = (name: string): number => (median(cpuSeconds.get(name) ?? [0]) * 1e6) / count;
  const share = cpuMicros(floor.name) / cpuMicros(halm.name);
  const wallShare = floor.medianMicros / halm.medianMicros;

  const work: Record<string, string> = {
    'floor: bare evaluate':
      '`evaluate()` of each decision\'s proposal with the compiled snapshot of its version, the state it recorded reading and its `decidedAt`, inputs prepared once: the re-decision no replay can skip',
    'Halm: replay':
      '`DecisionReplay` over every event: the `TenantLedger` fold, each decision\'s snapshot resolved and checked, its state rebuilt, `evaluate`, the field-by-field comparison and the ledger\'s admission check',
    'reference: ledger fold alone': 'not a replay: `TenantLedger.apply` of every event (policies, budget charges, lockdowns, proposal lifecycles), nothing evaluated',
    'reference: what-if': `not a replay: \`whatIf\` of every decision against the second manifest, budgets counted along the history (${formatNumber(candidateChanges)} decisions would change)`,
  };
  const report = [
    '## Replay verification: decisions per second',
    '',
    `One tenant's ledger recorded by \`SimulatedKernel\` as the running kernel records it: ${formatNumber(count)} decisions (${[...statuses].map(([status, total]) => `${status} ${formatNumber(total)}`).join(', ')}; ` +
      `${formatNumber(warnings)} at a budget warning) from ${formatNumber(AGENTS)} agents over ${formatNumber((decisions * SPACING_MS) / 3_600_000)} hours, under the default manifest and then, from halfway, a second one ` +
      `(per-agent hourly budget, a CEL rule on the time); most REQUIRE_HUMAN settled by an approval or a rejection; ${formatNumber(events.length)} events in all, read back from JSON as the stream delivers them. ` +
      `Before timing, the replay passed every decision, failed a doctored one, and the floor reproduced every recorded decision field for field. An operation is one decision. ` +
      `Same process, ${options.rounds} interleaved rounds of at least one whole pass over the history per contender after ${options.warmupMs} ms of warm-up; ` +
      'a pass is seconds long, so the load of other work on the machine can change between passes: the CPU time of each pass (the median over all passes, warm-up included) is the steadier figure.',
    '',
    markdownTable(
      ['what', 'work', 'decisions/s (median)', 'rounds, decisions/s (min–max)', 'wall ÷ floor', 'CPU µs per decision (median pass)', 'CPU ÷ floor (decisions per CPU second)'],
      results.map((result) => [
        result.name,
        work[result.name] ?? '',
        formatNumber(result.medianPerSecond),
        `${formatNumber(result.minPerSecond)}–${formatNumber(result.maxPerSecond)}`,
        result === floor ? '1 (floor)' : `${formatNumber(result.medianPerSecond / floor.medianPerSecond, 2)}×`,
        formatNumber(cpuMicros(result.name), 3),
        result === floor ? '1 (floor)' : `${formatNumber(cpuMicros(floor.name) / cpuMicros(result.name), 2)}×`,
      ]),
    ),
    '',
    `**Replay: ${formatNumber(halm.medianPerSecond)} decisions/s (${formatNumber(1e6 / cpuMicros(halm.name))} per CPU second), ${formatNumber(halm.medianPerSecond / floor.medianPerSecond, 2)}× bare evaluate by wall time, ${formatNumber(share, 2)}× by CPU time.** ` +
      `Policy evaluation is ${formatNumber(share * 100, 2)} % of a replay's CPU time per decision (${formatNumber(cpuMicros(floor.name), 3)} of ${formatNumber(cpuMicros(halm.name), 3)} µs; ${formatNumber(wallShare * 100, 2)} % by wall time); ` +
      `the ledger fold alone takes ${formatNumber(cpuMicros(fold.name), 3)} µs, and the rest goes to resolving snapshots, rebuilding the state, comparing and the admission check. ` +
      `A whole replay of the ${formatNumber(count)} decisions takes ${formatNumber((count / halm.medianPerSecond) * 1000)} ms; what-if against a candidate ${formatNumber((count / candidateRun.medianPerSecond) * 1000)} ms.`,
    '',
    `Machine: ${describeMachine(started)}.`,
  ].join('\n');
  publish(NAME, report);
  return 0;
};

process.exitCode = main();
