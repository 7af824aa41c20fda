/**
 * Execute through the running services, with idempotency keys, against a floor built from the
 * same parts: an HTTP server, a NATS request to a second process, a NATS request from it to a
 * third, and one JetStream publish (benchmarks/execute/floor-pipeline.ts) — the hops of
 * Halm's execute path with none of its checks.
 *
 * Halm runs the services execute needs (gateway, executor, ledger, policy evaluator) as
 * separate processes on a namespace and database of their own. Every request executes a
 * different allowed proposal (`task:create`, which the agent performs: the gate verifies the
 * Ed25519 token, binds it to the action's digest, checks the lockdown state, and has the
 * ledger record ExecutionStarted under the tenant's fold, once per proposal and key) with a
 * fresh idempotency key; the tokens are obtained by authorizing beforehand, outside the
 * clock. A third row replays executions already made, with their keys: the answer every
 * retry gets, read back from the ledger. The rows run in alternating rounds after a warm-up.
 *
 *   node benchmarks/dist/execute.bench.js [--seconds 3] [--rounds 3] [--quick]
 *   ./halm bench execute [-- options]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import { isPortFree, repositoryRoot, stopProcesses, testNatsUrl } from '@halm/testing';
import { describeMachine, formatNumber, machine, markdownTable, median, publish, benchmarksDir } from './harness';
import { parseLoadOptions, percentile, requestBytes, requestOnce, runRequests, type HttpTarget, type LoadOptions, type LoadRound } from './authorize/http-load';
import { startStacks, type Stacks } from './authorize/stacks';

const NAME = 'execute';
const CONNECTIONS = [1, 50] as const;
const ROWS = ['Halm, new executions', 'Halm, retries of executed keys', 'floor'] as const;
type Row = (typeof ROWS)[number];

type Options = LoadOptions;

const parseOptions = (args: readonly string[]): Options =>
  parseLoadOptions(args, { full: { seconds: 3, rounds: 3, warmupSeconds: 2 }, quick: { seconds: 1.5, rounds: 2, warmupSeconds: 1 } });

const ACTION = { type: 'task:create', payload: { title: 'Call the customer back', assignee: 'support' } };
const PROPOSAL = { ...ACTION, context: { confidenceScore: 0.92, agentId: 'benchmark-agent' } };

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Tokens for `count` allowed proposals, authorized over `connections` connections. */
const authorizeMany = async (stacks: Stacks, count: number): Promise<string[]> => {
  const target: HttpTarget = { port: stacks.halm.port, path: '/api/kernel/authorize', headers: { Authorization: `Bearer ${stacks.halm.agentKey}` }, body: JSON.stringify(PROPOSAL) };
  const tokens: string[] = [];
  let issued = 0;
  const request = requestBytes(target);
  await runRequests(stacks.halm.port, 20, Number.POSITIVE_INFINITY, () => (issued++ < count ? request : undefined), (answer) => {
    if (answer.status === 200) tokens.push((JSON.parse(answer.body.toString('utf8')) as { executionToken: string }).executionToken);
  });
  if (tokens.length < count) throw new Error(`authorized only ${tokens.length} of ${count} proposals`);
  return tokens;
};

let keyCounter = 0;
const executeRequest = (stacks: Stacks, token: string, idempotencyKey = `bench-${process.pid}-${(keyCounter += 1)}`): { bytes: Buffer; idempotencyKey: string } => ({
  idempotencyKey,
  bytes: requestBytes({
    port: stacks.halm.port,
    path: '/api/kernel/execute',
    headers: { Authorization: `Bearer ${stacks.halm.agentKey}` },
    body: JSON.stringify({ executionToken: token, idempotencyKey, action: ACTION }),
  }),
});

/** The floor's three processes on the same NATS server, with a stream on file storage like the ledger's. */
const startFloor = async (stacks: Stacks): Promise<{ port: number; processes: ChildProcess[] }> => {
  const { connect } = await import('@nats-io/transport-node');
  const connection = await connect({ servers: testNatsUrl() });
  const subject = `${stacks.namespace}.execute-floor.published`;
  await (await jetstreamManager(connection)).streams.add({ name: `EXECUTE_FLOOR_${stacks.namespace.toUpperCase().replace(/-/g, '_')}`, subjects: [subject], storage: StorageType.File });
  await connection.close();
  let port = 0;
  while (!port || !(await isPortFree(port))) port = 30_000 + Math.floor(Math.random() * 20_000);
  const environment = {
    NATS_URL: testNatsUrl(),
    FLOOR_EXECUTE_SUBJECT: `${stacks.namespace}.execute-floor.req.execute`,
    FLOOR_APPEND_SUBJECT: `${stacks.namespace}.execute-floor.req.append`,
    FLOOR_STREAM_SUBJECT: subject,
    PORT: String(port),
  };
  const processes: ChildProcess[] = [];
  for (const role of ['ledger', 'executor', 'server']) {
    processes.push(
      await new Promise<ChildProcess>((resolve, reject) => {
        const child = spawn(process.execPath, [join(benchmarksDir, 'dist', 'execute', 'floor-pipeline.js'), role], { cwd: repositoryRoot, env: { ...process.env, ...environment }, stdio: ['ignore', 'pipe', 'pipe'] });
        child.stderr?.pipe(createWriteStream(join(stacks.logsDir, `execute-floor-${role}.log`), { flags: 'a' }));
        child.stdout?.once('data', () => resolve(child));
        child.once('exit', (code) => reject(new Error(`the execute floor ${role} exited with code ${code}`)));
      }),
    );
  }
  return { port, processes };
};

interface RowResult {
  rounds: LoadRound[];
}

const main = async (): Promise<void> => {
  const options = parseOptions(process.argv.slice(2));
  const stacks = await startStacks(log, 0, ['policy-evaluator', 'ledger', 'executor', 'gateway']);
  let floor: { port: number; processes: ChildProcess[] } | undefined;
  try {
    floor = await startFloor(stacks);
    const floorTarget: HttpTarget = { port: floor.port, path: '/execute', headers: {}, body: JSON.stringify({ executionToken: 'x', idempotencyKey: 'k', action: ACTION }) };
    const floorAnswer = await requestOnce(floorTarget);
    if (floorAnswer.status !== 200) throw new Error(`the floor answered ${floorAnswer.status} ${floorAnswer.body}`);

    // Enough tokens for every new-execution round at the rate a first round shows, with room to spare.
    log('execute: authorizing proposals for a first estimate…');
    const probeTokens = await authorizeMany(stacks, 400);
    const probe = await runRequests(stacks.halm.port, 50, 1_000, () => {
      const token = probeTokens.pop();
      return token ? executeRequest(stacks, token).bytes : undefined;
    });
    const perRound = (connections: number) => Math.ceil(Math.max(probe.perSecond, 100) * options.seconds * (connections === 1 ? 0.5 : 1.6));
    const needed = CONNECTIONS.reduce((sum, connections) => sum + perRound(connections) * (options.rounds + 1), 0);
    log(`execute: authorizing ${needed} proposals (first estimate ${formatNumber(probe.perSecond)} executions/s)…`);
    const tokens = await authorizeMany(stacks, needed);

    // Executions already made, to replay with their keys.
    const executed: Buffer[] = [];
    for (let index = 0; index < 50; index += 1) {
      const request = executeRequest(stacks, tokens.pop()!);
      const answer = await requestOnce({ port: stacks.halm.port, path: '/api/kernel/execute', headers: { Authorization: `Bearer ${stacks.halm.agentKey}` }, body: request.bytes.subarray(request.bytes.indexOf('\r\n\r\n') + 4).toString() });
      if (answer.status !== 200) throw new Error(`execute answered ${answer.status} ${answer.body}`);
      executed.push(request.bytes);
    }
    const firstAnswer = await requestOnce({ port: stacks.halm.port, path: '/api/kernel/execute', headers: { Authorization: `Bearer ${stacks.halm.agentKey}` }, body: executed[0]!.subarray(executed[0]!.indexOf('\r\n\r\n') + 4).toString() });
    if (firstAnswer.status !== 200 || !firstAnswer.body.includes('AWAITING_REPORT')) throw new Error(`a retry answered ${firstAnswer.status} ${firstAnswer.body}`);

    const results = new Map<string, RowResult>();
    const run = async (row: Row, connections: number, durationMs: number): Promise<LoadRound> => {
      if (row === 'floor') return runRequests(floor!.port, connections, durationMs, () => requestBytes(floorTarget));
      if (row === 'Halm, retries of executed keys') {
        let next = 0;
        return runRequests(stacks.halm.port, connections, durationMs, () => executed[(next += 1) % executed.length]);
      }
      return runRequests(stacks.halm.port, connections, durationMs, () => {
        const token = tokens.pop();
        return token ? executeRequest(stacks, token).bytes : undefined;
      });
    };
    for (const connections of CONNECTIONS) {
      log(`execute: ${connections} connection(s), warm-up…`);
      for (const row of ROWS) await run(row, connections, options.warmupSeconds * 1000 * (row === 'Halm, new executions' ? 0.3 : 1));
      for (let round = 0; round < options.rounds; round += 1) {
        const order = round % 2 === 0 ? ROWS : [...ROWS].reverse();
        for (const row of order) {
          const measured = await run(row, connections, options.seconds * 1000);
          const key = `${row}@${connections}`;
          results.set(key, { rounds: [...(results.get(key)?.rounds ?? []), measured] });
          log(`  ${row.padEnd(32)} ${String(connections).padStart(2)} conn: ${formatNumber(measured.perSecond)}/s (${measured.failed} failed)`);
        }
      }
    }

    const summary = (row: Row, connections: number) => {
      const rounds = results.get(`${row}@${connections}`)!.rounds;
      const latencies = rounds.flatMap((round) => round.latenciesMs).sort((a, b) => a - b);
      return { perSecond: median(rounds.map((round) => round.perSecond)), p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), failed: rounds.reduce((sum, round) => sum + round.failed, 0) };
    };
    const rows = CONNECTIONS.flatMap((connections) => {
      const floorSummary = summary('floor', connections);
      return ROWS.map((row) => {
        const measured = summary(row, connections);
        return [
          row,
          String(connections),
          formatNumber(measured.perSecond),
          `${formatNumber(measured.p50)} ms`,
          `${formatNumber(measured.p99)} ms`,
          row === 'floor' ? '1' : `${formatNumber(measured.perSecond / floorSummary.perSecond)}×`,
          String(measured.failed),
        ];
      });
    });
    const report = [
      `## Execute with idempotency keys vs the floor`,
      '',
      `Execute through Halm's running services (gateway, executor, ledger; the policy evaluator only for the tokens, authorized beforehand outside the clock) against a floor of one HTTP server, two NATS requests and one JetStream publish, in ${options.rounds} alternating rounds of ${options.seconds} s per row after a warm-up. Each new execution is a different allowed proposal with a fresh idempotency key; retries repeat 50 executed keys.`,
      '',
      markdownTable(['pipeline', 'connections', 'executions/s (median round)', 'p50', 'p99', 'throughput vs floor', 'failed'], rows),
      '',
      `Machine: ${describeMachine(machine())}.`,
    ].join('\n');
    publish(NAME, report);
  } finally {
    if (floor) await stopProcesses(floor.processes);
    await stacks[Symbol.asyncDispose]();
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`execute benchmark failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
