/**
 * Authorize through the running services against the floor of the brief: a minimal pipeline
 * of one HTTP server, one NATS request and one JetStream publish, built from the same parts
 * (Fastify, @nats-io/transport-node, @nats-io/jetstream) and run on the same machine and NATS
 * server in the same run. Both are driven by the same closed-loop HTTP client at 1 and at 50
 * connections, in alternating rounds (the order flips every round) after a warm-up, so
 * whatever else the machine does hits both alike.
 *
 * Halm here is the six services as separate processes, built from the repository, on a
 * database and a stream namespace of their own, with one tenant and an agent key; every
 * request is `task:create` at confidence 0.92, which the default manifest allows: the whole
 * path, including the ledger append and the signed execution token. After each Halm round
 * the run waits until the PostgreSQL projection has caught up with the ledger, so that work
 * left over from Halm's round is not done during the floor's.
 *
 *   node benchmarks/dist/authorize.bench.js [--seconds 4] [--rounds 4] [--warmup-seconds 4] [--quick]
 *   ./halm bench authorize [-- options]
 */
import { rmSync } from 'node:fs';
import { loadavg, totalmem } from 'node:os';
import { describeMachine, formatNumber, machine, markdownTable, median, publish } from './harness';
import { type HttpTarget, type LoadOptions, type LoadRound, parseLoadOptions, percentile, requestOnce, runLoad } from './authorize/http-load';
import { cpuMillis, ownCpuMillis } from './authorize/cpu-time';
import { startStacks, type Stacks } from './authorize/stacks';

const NAME = 'authorize';
/** Issue 6: authorize throughput at 50 connections at least 0.7× the floor; p50 at one connection at most 2 ms. */
const TARGET_THROUGHPUT_RATIO = 0.7;
const TARGET_P50_MS = 2;
const CONNECTIONS = [1, 50] as const;
/** For the reference row: the 50 connections spread over this many tenants, whose ledgers append independently. */
const TENANTS_SPREAD = 10;
const PIPELINES = ['Halm', 'floor', `Halm, ${TENANTS_SPREAD} tenants`] as const;
type Pipeline = (typeof PIPELINES)[number];
const SPREAD: Pipeline = `Halm, ${TENANTS_SPREAD} tenants`;
/** Which pipelines run at a connection count: the spread over tenants only at 50. */
const pipelinesAt = (connections: number): Pipeline[] => (connections === 1 ? ['Halm', 'floor'] : [...PIPELINES]);

type Options = LoadOptions;

const parseOptions = (args: readonly string[]): Options =>
  parseLoadOptions(args, { full: { seconds: 4, rounds: 4, warmupSeconds: 4 }, quick: { seconds: 2, rounds: 2, warmupSeconds: 2 } });

/** What an agent sends: allowed by the default manifest, outside every budget, so each request takes the same path. */
const PROPOSAL = { type: 'task:create', payload: { title: 'Call the customer back', assignee: 'support' }, context: { confidenceScore: 0.92, agentId: 'benchmark-agent' } };

const targets = (stacks: Stacks): Record<Pipeline, HttpTarget[]> => {
  const body = JSON.stringify(PROPOSAL);
  const halm = (agentKey: string): HttpTarget => ({ port: stacks.halm.port, path: '/api/kernel/authorize', headers: { Authorization: `Bearer ${agentKey}` }, body });
  return {
    Halm: [halm(stacks.halm.agentKey)],
    floor: [{ port: stacks.floor.port, path: '/authorize', headers: { Authorization: `Bearer ${stacks.halm.agentKey}` }, body }],
    [SPREAD]: [stacks.halm.agentKey, ...stacks.otherAgentKeys].map(halm),
  } as Record<Pipeline, HttpTarget[]>;
};

/** Both answer an allowed decision; Halm's carries an execution token and the ledger holds it. */
const checkAnswers = async (stacks: Stacks, target: Record<Pipeline, HttpTarget[]>): Promise<string | undefined> => {
  for (const [index, tenantTarget] of target[SPREAD].entries()) {
    const halm = await requestOnce(tenantTarget);
    const halmBody = JSON.parse(halm.body) as { allowed?: boolean; executionToken?: string };
    if (halm.status !== 200 || halmBody.allowed !== true || !halmBody.executionToken) return `Halm answered ${halm.status} ${halm.body}`;
    if ((await stacks.ledgerHeight(stacks.tenantIds[index]!)) < 1) return 'Halm answered, but the ledger holds no event for the tenant';
  }
  const floor = await requestOnce(target.floor[0]!);
  const floorBody = JSON.parse(floor.body) as { allowed?: boolean; sequence?: number };
  if (floor.status !== 200 || floorBody.allowed !== true || typeof floorBody.sequence !== 'number') return `the floor answered ${floor.status} ${floor.body}`;
  return undefined;
};

/** Waits until the projection has applied everything the ledger holds for the benchmark's tenants; answers how long that took. */
const settle = async (stacks: Stacks): Promise<number> => {
  const started = performance.now();
  for (const tenantId of stacks.tenantIds) {
    const height = await stacks.ledgerHeight(tenantId);
    while ((await stacks.projectedHeight(tenantId)) < height) {
      if (performance.now() - started > 120_000) throw new Error('the projection did not catch up with the ledger within 120 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return performance.now() - started;
};

interface Series {
  rounds: LoadRound[];
  /** CPU milliseconds each process of the pipeline, and the load generator, used during the rounds. */
  cpuMs: Map<string, number>;
  /** Milliseconds the projection needed after each round to catch up (Halm only). */
  settleMs: number[];
}

const key = (pipeline: Pipeline, connections: number) => `${pipeline}@${connections}`;
const LOAD_GENERATOR = 'load generator (this process)';

const main = async (): Promise<number> => {
  const options = parseOptions(process.argv.slice(2));
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const started = machine();
  const stacks = await startStacks(log, TENANTS_SPREAD - 1);
  // The services log a line per decision: a clean run's logs go, a failed run's stay to be read.
  let keepLogs = true;
  try {
    const target = targets(stacks);
    const problem = await checkAnswers(stacks, target);
    if (problem) {
      process.stderr.write(`authorize: nothing was timed: ${problem}\n`);
      return 1;
    }
    log(`authorize: both answer allowed; warming up ${options.warmupSeconds} s each…`);
    // Warm-up in alternating slices at both connection counts; nothing of it is kept.
    for (const connections of [50, 1, 50]) {
      for (const pipeline of pipelinesAt(connections)) {
        await runLoad(target[pipeline], connections, (options.warmupSeconds * 1000) / 3);
        if (pipeline !== 'floor') await settle(stacks);
      }
    }

    log(`authorize: ${options.rounds} rounds of ${options.seconds} s per pipeline and connection count…`);
    const series = new Map<string, Series>();
    for (let round = 0; round < options.rounds; round += 1) {
      for (const connections of CONNECTIONS) {
        // The order rotates from round to round, so no pipeline always runs first or right after the same other.
        const pipelines = pipelinesAt(connections);
        const order = pipelines.map((_, index) => pipelines[(index + round) % pipelines.length]!);
        for (const pipeline of order) {
          const processes = stacks.processes.filter((entry) => entry.pipeline === (pipeline === 'floor' ? 'floor' : 'Halm'));
          const cpuBefore = processes.map((entry) => cpuMillis(entry.pid));
          const ownBefore = ownCpuMillis();
          const result = await runLoad(target[pipeline], connections, options.seconds * 1000);
          const ownAfter = ownCpuMillis();
          const entry = series.get(key(pipeline, connections)) ?? { rounds: [], cpuMs: new Map<string, number>(), settleMs: [] };
          entry.rounds.push(result);
          processes.forEach((child, index) => {
            const before = cpuBefore[index];
            const after = cpuMillis(child.pid);
            if (before !== undefined && after !== undefined) entry.cpuMs.set(child.label, (entry.cpuMs.get(child.label) ?? 0) + after - before);
          });
          entry.cpuMs.set(LOAD_GENERATOR, (entry.cpuMs.get(LOAD_GENERATOR) ?? 0) + ownAfter - ownBefore);
          if (pipeline !== 'floor') entry.settleMs.push(await settle(stacks));
          series.set(key(pipeline, connections), entry);
          log(`  round ${round + 1}, ${connections} connection${connections > 1 ? 's' : ''}, ${pipeline.padEnd(16)}: ${formatNumber(result.perSecond)} req/s, p50 ${formatNumber(percentile([...result.latenciesMs].sort((a, b) => a - b), 0.5))} ms${result.failed ? `, ${result.failed} failed` : ''}`);
        }
      }
    }
    const report = buildReport(series, options, started);
    publish(NAME, report.text);
    keepLogs = report.failed;
    return report.failed ? 1 : 0;
  } finally {
    await stacks[Symbol.asyncDispose]();
    if (keepLogs) process.stderr.write(`authorize: the logs of this run's processes are in ${stacks.logsDir}\n`);
    else rmSync(stacks.logsDir, { recursive: true, force: true });
  }
};

interface Summary {
  perSecond: number;
  minPerSecond: number;
  maxPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  failed: number;
  settleMs: number;
  /** CPU milliseconds per completed request, by process. */
  cpuPerRequest: Map<string, number>;
}

const summarize = (entry: Series): Summary => {
  const perSecond = entry.rounds.map((round) => round.perSecond);
  const latencies = entry.rounds.flatMap((round) => round.latenciesMs).sort((a, b) => a - b);
  return {
    perSecond: median(perSecond),
    minPerSecond: Math.min(...perSecond),
    maxPerSecond: Math.max(...perSecond),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    requests: entry.rounds.reduce((sum, round) => sum + round.completed, 0),
    failed: entry.rounds.reduce((sum, round) => sum + round.failed, 0),
    settleMs: Math.max(0, ...entry.settleMs),
    cpuPerRequest: new Map([...entry.cpuMs].map(([label, ms]) => [label, ms / Math.max(1, entry.rounds.reduce((sum, round) => sum + round.completed + round.failed, 0))])),
  };
};

const milliseconds = (value: number) => formatNumber(value, 3);

const cpuTable = (summaries: Map<string, Summary>): string => {
  const columns = CONNECTIONS.flatMap((connections) => pipelinesAt(connections).map((pipeline) => ({ pipeline, connections })));
  const labels = [...new Set(columns.flatMap(({ pipeline, connections }) => [...summaries.get(key(pipeline, connections))!.cpuPerRequest.keys()]))];
  labels.sort((a, b) => Number(a === LOAD_GENERATOR) - Number(b === LOAD_GENERATOR));
  const cell = (label: string, pipeline: Pipeline, connections: number) => {
    const value = summaries.get(key(pipeline, connections))!.cpuPerRequest.get(label);
    return value === undefined ? '' : milliseconds(value);
  };
  const total = (pipeline: Pipeline, connections: number, withLoadGenerator: boolean) =>
    [...summaries.get(key(pipeline, connections))!.cpuPerRequest].filter(([label]) => withLoadGenerator || label !== LOAD_GENERATOR).reduce((sum, [, value]) => sum + value, 0);
  return markdownTable(
    ['ms of CPU per request', ...columns.map(({ pipeline, connections }) => `${pipeline}, ${connections} conn.`)],
    [
      ...labels.map((label) => [label, ...columns.map(({ pipeline, connections }) => cell(label, pipeline, connections))]),
      ['**the pipeline\'s processes**', ...columns.map(({ pipeline, connections }) => `**${milliseconds(total(pipeline, connections, false))}**`)],
    ],
  );
};

const buildReport = (series: Map<string, Series>, options: Options, started: ReturnType<typeof machine>): { text: string; failed: boolean } => {
  const summaries = new Map([...series].map(([name, entry]) => [name, summarize(entry)]));
  const get = (pipeline: Pipeline, connections: number) => summaries.get(key(pipeline, connections))!;
  const rows = CONNECTIONS.flatMap((connections) =>
    pipelinesAt(connections).map((pipeline) => {
      const summary = get(pipeline, connections);
      const floor = get('floor', connections);
      return [
        String(connections),
        pipeline,
        formatNumber(summary.perSecond),
        `${formatNumber(summary.minPerSecond)}–${formatNumber(summary.maxPerSecond)}`,
        milliseconds(summary.p50),
        milliseconds(summary.p99),
        pipeline === 'floor' ? '1 (floor)' : `${formatNumber(summary.perSecond / floor.perSecond, 2)}×`,
        pipeline === 'floor' ? '1 (floor)' : `${formatNumber(summary.p50 / floor.p50, 2)}×`,
        formatNumber(summary.requests),
        String(summary.failed),
      ];
    }),
  );
  const throughputRatio = get('Halm', 50).perSecond / get('floor', 50).perSecond;
  const halmP50 = get('Halm', 1).p50;
  const spreadRatio = get(SPREAD, 50).perSecond / get('floor', 50).perSecond;
  const failed = [...summaries.values()].some((summary) => summary.failed > 0);
  const memoryGiB = totalmem() / 2 ** 30;
  const text = [
    '## Authorize: Halm vs the floor pipeline',
    '',
    'Halm: `POST /api/kernel/authorize` through the six services running as separate processes (gateway → policy-evaluator → ledger: API key, validation, decision, ' +
      'hash-chained JetStream append, Ed25519-signed execution token; the PostgreSQL projection runs alongside), one tenant, `task:create` at confidence 0.92, which the default manifest allows. ' +
      'Floor: a Fastify server that sends the same body as one NATS request to a responder in another process and publishes request and answer to a JetStream stream (file storage), then answers; ' +
      'the least a service built from these parts does. Same machine, same NATS server, same closed-loop HTTP client (keep-alive, one request in flight per connection). ' +
      `${options.rounds} rounds of ${options.seconds} s per pipeline and connection count, in alternating order, after ${options.warmupSeconds} s of warm-up each; ` +
      'req/s is the median over rounds, p50 and p99 are over every request of all rounds. After each Halm round the run waited for the projection to catch up ' +
      `(at most ${formatNumber(Math.max(get('Halm', 1).settleMs, get('Halm', 50).settleMs, get(SPREAD, 50).settleMs), 2)} ms), outside every pipeline's time. ` +
      `The row "${SPREAD}" is a reference, not the target: the same 50 connections spread over ${TENANTS_SPREAD} tenants (5 each), because the ledger appends each tenant's events one after another to keep its hash chain from forking.`,
    '',
    markdownTable(['connections', 'pipeline', 'req/s (median)', 'rounds, req/s (min–max)', 'p50 ms', 'p99 ms', 'req/s ÷ floor', 'p50 ÷ floor', 'requests', 'failed'], rows),
    '',
    `**Throughput at 50 connections, Halm ÷ floor: ${formatNumber(throughputRatio, 2)}×** (one tenant); target at least ${TARGET_THROUGHPUT_RATIO}×: ${throughputRatio >= TARGET_THROUGHPUT_RATIO ? 'met' : '**missed**'}. ` +
      `Spread over ${TENANTS_SPREAD} tenants: ${formatNumber(spreadRatio, 2)}×.`,
    '',
    `**p50 at one connection, Halm: ${milliseconds(halmP50)} ms** (floor ${milliseconds(get('floor', 1).p50)} ms); target at most ${TARGET_P50_MS} ms: ${halmP50 <= TARGET_P50_MS ? 'met' : '**missed**'}.`,
    '',
    '### CPU per request, by process',
    '',
    'CPU time (user + system, from /proc) each process used during the timed rounds, divided by the requests answered: at 50 connections both pipelines keep the cores busy, so throughput follows the CPU each request costs. ' +
      'NATS and PostgreSQL are left out: this machine\'s other work uses them too.',
    '',
    cpuTable(summaries),
    '',
    `Machine: ${describeMachine(started)}, load average ${formatNumber(loadavg()[0] ?? 0, 3)} at the end; ${formatNumber(memoryGiB, 3)} GiB memory.`,
    ...(failed ? ['', '**Some requests failed** (the `failed` column): the figures above are not comparable; the run kept its services\' logs.'] : []),
  ].join('\n');
  return { text, failed };
};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`authorize: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
