/**
 * An A/B test of two builds of Halm on the authorize path, for a machine that other work keeps
 * busy: both builds run side by side as two stacks of six services (each on a namespace and a
 * database of its own, on the same NATS and PostgreSQL), and the load alternates between them
 * round by round, the order flipping every round. Each round of B is compared with the round
 * of A next to it, and the report gives the median of those paired ratios, which machine noise
 * moves far less than any single figure.
 *
 * A build is a directory holding the repository built (`tsc -b tsconfig.build.json
 * benchmarks/tsconfig.json`): this one, or a checkout of another commit (docs/performance.md,
 * "Comparing two builds"). Per round and stack it reads the CPU time of every service process
 * and of the stack's own PostgreSQL backends; after the rounds it times how long a proposal
 * takes to be announced (proposal-updated) after its HTTP answer when the stack is idle.
 *
 *   node benchmarks/dist/authorize/compare-builds.js --a <dir> --b <dir> [--rounds 6] [--seconds 3]
 *     [--warmup-seconds 3] [--connections 1,50] [--tenants 0] [--lag-samples 100]
 *     [--env-a 'NAME=value;NAME=value'] [--env-b …]
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { testDatabaseServerUrl, testNatsUrl } from '@halm/testing';
import { Client } from 'pg';
import { formatNumber, markdownTable, median } from '../harness';
import { cpuMillis, ownCpuMillis } from './cpu-time';
import { percentile, requestOnce, runLoad, type HttpTarget } from './http-load';
import type { startStacks as StartStacks, Stacks } from './stacks';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const index = args.indexOf(`--${name}`);
  return index < 0 ? fallback : (args[index + 1] ?? fallback);
};
const BUILDS = ['A', 'B'] as const;
type Build = (typeof BUILDS)[number];
const directories: Record<Build, string> = { A: resolve(option('a', '.')), B: resolve(option('b', '.')) };
const rounds = Number(option('rounds', '6'));
const seconds = Number(option('seconds', '3'));
const warmupSeconds = Number(option('warmup-seconds', '3'));
const connectionCounts = option('connections', '1,50').split(',').map(Number);
const otherTenants = Number(option('tenants', '0'));
const lagSamples = Number(option('lag-samples', '100'));
/** `NAME=value;NAME=value`: settings for one build's services only. */
const environmentOf = (build: Build): Record<string, string> =>
  Object.fromEntries(
    option(`env-${build.toLowerCase()}`, '')
      .split(';')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );

const PROPOSAL = { type: 'task:create', payload: { title: 'Call the customer back', assignee: 'support' }, context: { confidenceScore: 0.92, agentId: 'benchmark-agent' } };
const POSTGRES = 'PostgreSQL (the stack’s backends)';
const LOAD_GENERATOR = 'load generator';
const log = (line: string) => process.stdout.write(`${line}\n`);

interface Round {
  perSecond: number;
  latenciesMs: number[];
  failed: number;
  cpuPerRequest: Map<string, number>;
}

interface Running {
  stacks: Stacks;
  database: string;
  targets: HttpTarget[];
  rounds: Map<number, Round[]>;
}

/** The database a stack's ledger was started on, from its environment. */
const databaseOf = (pid: number): string => {
  const setting = readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .find((entry) => entry.startsWith('DATABASE_URL='));
  if (!setting) throw new Error(`process ${pid} has no DATABASE_URL`);
  return new URL(setting.slice('DATABASE_URL='.length)).pathname.slice(1);
};

const main = async (): Promise<void> => {
  const postgres = new Client({ connectionString: testDatabaseServerUrl() });
  await postgres.connect();
  const nats = await connect({ servers: testNatsUrl() });
  const running = new Map<Build, Running>();
  try {
    for (const build of BUILDS) {
      // Each build's own stacks module, so that its services start from its own build output.
      const { startStacks } = createRequire(__filename)(join(directories[build], 'benchmarks', 'dist', 'authorize', 'stacks.js')) as { startStacks: typeof StartStacks };
      const saved = { ...process.env };
      Object.assign(process.env, environmentOf(build));
      const stacks = await startStacks((line) => log(`${build}: ${line}`), otherTenants).finally(() => (process.env = saved));
      const body = JSON.stringify(PROPOSAL);
      const targets = [stacks.halm.agentKey, ...stacks.otherAgentKeys].map((key) => ({ port: stacks.halm.port, path: '/api/kernel/authorize', headers: { Authorization: `Bearer ${key}` }, body }));
      running.set(build, { stacks, database: databaseOf(stacks.processes.find((entry) => entry.label === 'ledger')!.pid), targets, rounds: new Map() });
      const answer = await requestOnce(targets[0]!);
      if (answer.status !== 200 || !(JSON.parse(answer.body) as { executionToken?: string }).executionToken) throw new Error(`${build} answered ${answer.status} ${answer.body}`);
    }

    const settle = async (entry: Running) => {
      const started = Date.now();
      for (const tenantId of entry.stacks.tenantIds) {
        const height = await entry.stacks.ledgerHeight(tenantId);
        while ((await entry.stacks.projectedHeight(tenantId)) < height) {
          if (Date.now() - started > 120_000) throw new Error('the projection did not catch up within 120 s');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    };
    const measure = async (build: Build, connections: number, durationMs: number): Promise<Round> => {
      const entry = running.get(build)!;
      const processes = entry.stacks.processes.filter((process) => process.pipeline === 'Halm');
      const backends = (await postgres.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [entry.database])).rows.map((row) => row.pid);
      const before = [...processes.map((process) => cpuMillis(process.pid)), ...backends.map((pid) => cpuMillis(pid))];
      const ownBefore = ownCpuMillis();
      const result = await runLoad(entry.targets, connections, durationMs);
      const ownAfter = ownCpuMillis();
      const used = (pid: number, index: number) => (cpuMillis(pid) ?? before[index] ?? 0) - (before[index] ?? 0);
      const cpu = new Map<string, number>(processes.map((process, index) => [process.label, used(process.pid, index)]));
      cpu.set(POSTGRES, backends.reduce((sum, pid, index) => sum + used(pid, processes.length + index), 0));
      cpu.set(LOAD_GENERATOR, ownAfter - ownBefore);
      await settle(entry);
      const requests = Math.max(1, result.completed + result.failed);
      return { perSecond: result.perSecond, latenciesMs: result.latenciesMs, failed: result.failed, cpuPerRequest: new Map([...cpu].map(([label, ms]) => [label, ms / requests])) };
    };

    log(`warming up ${warmupSeconds} s per build and connection count…`);
    for (const connections of [...connectionCounts, ...connectionCounts]) for (const build of BUILDS) await measure(build, connections, (warmupSeconds * 1000) / 2);

    for (let round = 0; round < rounds; round += 1) {
      for (const connections of connectionCounts) {
        for (const build of round % 2 === 0 ? BUILDS : [...BUILDS].reverse()) {
          const result = await measure(build, connections, seconds * 1000);
          const list = running.get(build)!.rounds.get(connections) ?? [];
          list.push(result);
          running.get(build)!.rounds.set(connections, list);
          const p50 = percentile([...result.latenciesMs].sort((a, b) => a - b), 0.5);
          log(`  round ${round + 1}, ${connections} conn., ${build}: ${formatNumber(result.perSecond)} req/s, p50 ${formatNumber(p50)} ms${result.failed ? `, ${result.failed} FAILED` : ''}`);
        }
      }
    }

    // How long an idle stack takes to announce a proposal after answering it: what a long-poll waits for.
    const lags = new Map<Build, { samples: number[]; missed: number }>();
    for (const build of BUILDS) {
      const entry = running.get(build)!;
      const arrivals = new Map<string, number>();
      const subscription = nats.subscribe(`${entry.stacks.namespace}.gateway.evt.proposal-updated.${entry.stacks.tenantIds[0]}`, {
        callback: (error, message) => {
          if (!error) arrivals.set(message.json<{ proposalId: string }>().proposalId, performance.now());
        },
      });
      await nats.flush();
      const samples: number[] = [];
      let missed = 0;
      for (let index = 0; index < lagSamples; index += 1) {
        const answer = await requestOnce(entry.targets[0]!);
        const answered = performance.now();
        const { proposalId } = JSON.parse(answer.body) as { proposalId: string };
        while (!arrivals.has(proposalId) && performance.now() - answered < 5_000) await new Promise((resolve) => setImmediate(resolve));
        if (arrivals.has(proposalId)) samples.push(arrivals.get(proposalId)! - answered);
        else missed += 1;
        // A pause longer than the projector's gathering interval: each proposal comes after a quiet spell.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      subscription.unsubscribe();
      lags.set(build, { samples: samples.sort((a, b) => a - b), missed });
    }

    const rows: string[][] = [];
    for (const connections of connectionCounts) {
      const a = running.get('A')!.rounds.get(connections)!;
      const b = running.get('B')!.rounds.get(connections)!;
      const pooled = (series: Round[], fraction: number) => percentile(series.flatMap((round) => round.latenciesMs).sort((x, y) => x - y), fraction);
      const row = (figure: string, pick: (round: Round) => number, whole?: (series: Round[]) => number) =>
        rows.push([
          String(connections),
          figure,
          formatNumber(whole ? whole(a) : median(a.map(pick))),
          formatNumber(whole ? whole(b) : median(b.map(pick))),
          `${formatNumber(median(a.map((round, index) => pick(b[index]!) / pick(round))), 3)}×`,
        ]);
      const roundP = (fraction: number) => (round: Round) => percentile([...round.latenciesMs].sort((x, y) => x - y), fraction);
      row('req/s', (round) => round.perSecond);
      row('p50 ms', roundP(0.5), (series) => pooled(series, 0.5));
      row('p99 ms', roundP(0.99), (series) => pooled(series, 0.99));
      for (const label of a[0]!.cpuPerRequest.keys()) row(`CPU ms per request: ${label}`, (round) => round.cpuPerRequest.get(label) ?? 0);
      row('CPU ms per request: the services', (round) => [...round.cpuPerRequest].filter(([label]) => label !== POSTGRES && label !== LOAD_GENERATOR).reduce((sum, [, ms]) => sum + ms, 0));
      row('CPU ms per request: the services and PostgreSQL', (round) => [...round.cpuPerRequest].filter(([label]) => label !== LOAD_GENERATOR).reduce((sum, [, ms]) => sum + ms, 0));
      rows.push([String(connections), 'failed requests', String(a.reduce((sum, round) => sum + round.failed, 0)), String(b.reduce((sum, round) => sum + round.failed, 0)), '']);
    }
    for (const build of BUILDS) {
      const { samples, missed } = lags.get(build)!;
      log(`${build}: ${directories[build]}; announcement after the answer when idle: p50 ${formatNumber(percentile(samples, 0.5))} ms, p90 ${formatNumber(percentile(samples, 0.9))} ms over ${samples.length}${missed ? `, ${missed} never announced` : ''}`);
    }
    log('');
    log(markdownTable(['connections', 'figure', 'A (median)', 'B (median)', 'B ÷ A (median of paired rounds)'], rows));
  } finally {
    for (const entry of running.values()) await Promise.resolve(entry.stacks[Symbol.asyncDispose]()).catch(() => undefined);
    await nats.close();
    await postgres.end();
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`compare-builds: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
