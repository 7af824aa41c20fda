import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureNats, ensurePostgres, type Dependency } from '../infrastructure';
import { DEFAULT_DATABASE_URL, DEFAULT_NATS_URL, repositoryRoot, stateDir } from '../paths';

/**
 * One benchmark of `./halm bench`: a program under benchmarks/ (compiled by
 * benchmarks/tsconfig.json into benchmarks/dist) that measures Halm against its floor in the
 * same run, prints a markdown table and writes it to benchmarks/results/<name>.md. A new
 * benchmark is one more entry here.
 */
export interface Benchmark {
  name: string;
  description: string;
  /** The compiled program, relative to benchmarks/dist. */
  script: string;
  /** It starts Halm's services: NATS and PostgreSQL are found or started first, as `./halm test` does, and passed in NATS_URL and DATABASE_URL. */
  needsNatsAndPostgres?: boolean;
}

export const BENCHMARKS: readonly Benchmark[] = [
  {
    name: 'policy-evaluation',
    description: 'Halm evaluate vs Cedar (@cedar-policy/cedar-wasm) on the equivalent of the default manifest',
    script: 'policy-evaluation.bench.js',
  },
  {
    name: 'ledger-verification',
    description: 'verifyChain, and the Merkle root against a signed checkpoint, vs bare SHA-256 over the same bytes',
    script: 'ledger-verification.bench.js',
  },
  {
    name: 'integrity-check',
    description: 'the integrity monitor\'s incremental check of 1,000 new events on top of 1,000,000 vs the full re-check of all of them (--events N, --new M)',
    script: 'integrity-check.bench.js',
  },
  {
    name: 'replay',
    description: 'replay verification of 100k recorded decisions (--decisions N) vs bare evaluate calls on the same decisions: decisions/s and the policy evaluation share',
    script: 'replay.bench.js',
  },
  {
    name: 'authorize',
    description: 'POST /api/kernel/authorize through the six services vs a Fastify + NATS request + JetStream publish floor, at 1 and 50 connections',
    script: 'authorize.bench.js',
    needsNatsAndPostgres: true,
  },
  {
    name: 'execute',
    description: 'POST /api/kernel/execute with idempotency keys (new executions and retries) vs a Fastify + two NATS requests + JetStream publish floor, at 1 and 50 connections',
    script: 'execute.bench.js',
    needsNatsAndPostgres: true,
  },
];

const benchmarksDir = join(repositoryRoot, 'benchmarks');

const run = (args: string[], environment: NodeJS.ProcessEnv = process.env): Promise<number> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repositoryRoot, env: environment, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.once('error', () => resolve(1));
  });

/**
 * `./halm bench [name…] [-- options]`: builds the benchmarks, then runs the named ones (all by
 * default) one after another, each in a fresh Node process so one cannot warm up or tire out
 * the JIT and the heap for the next. Options after `--` go to every benchmark (--rounds N,
 * --round-ms N, --warmup-ms N, --quick; ledger-verification also takes --events N; authorize
 * takes --seconds N and --warmup-seconds N, and gets NATS and PostgreSQL found or started first). Exits
 * non-zero when any benchmark failed, e.g. when its equivalence check did.
 */
export const bench = async (args: string[], log: (line: string) => void): Promise<number> => {
  const separator = args.indexOf('--');
  const names = separator >= 0 ? args.slice(0, separator) : args;
  const options = separator >= 0 ? args.slice(separator + 1) : [];
  if (names.length === 1 && names[0] === 'list') {
    for (const benchmark of BENCHMARKS) log(`${benchmark.name.padEnd(24)} ${benchmark.description}`);
    return 0;
  }
  const unknown = names.filter((name) => !BENCHMARKS.some((benchmark) => benchmark.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`halm bench: no benchmark ${unknown.join(', ')}; there are ${BENCHMARKS.map((benchmark) => benchmark.name).join(', ')}\n`);
    return 2;
  }
  const selected = names.length > 0 ? BENCHMARKS.filter((benchmark) => names.includes(benchmark.name)) : BENCHMARKS;

  const built = await run([join(repositoryRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(benchmarksDir, 'tsconfig.json')]);
  if (built !== 0) {
    process.stderr.write('halm bench: the benchmarks do not compile\n');
    return built;
  }
  const failed: string[] = [];
  const dependencies: Dependency[] = [];
  const environment: NodeJS.ProcessEnv = { ...process.env };
  try {
    if (selected.some((benchmark) => benchmark.needsNatsAndPostgres)) {
      const nats = await ensureNats({ url: process.env['NATS_URL'] || DEFAULT_NATS_URL, dataDir: stateDir, log });
      dependencies.push(nats);
      const postgres = await ensurePostgres({ url: process.env['DATABASE_URL'] || DEFAULT_DATABASE_URL, dataDir: stateDir, log });
      dependencies.push(postgres);
      environment['NATS_URL'] = nats.url;
      environment['DATABASE_URL'] = postgres.url;
    }
    for (const benchmark of selected) {
      log(`\n# ${benchmark.name}: ${benchmark.description}\n`);
      const code = await run([join(benchmarksDir, 'dist', benchmark.script), ...options], environment);
      if (code !== 0) failed.push(benchmark.name);
    }
  } finally {
    for (const dependency of dependencies.reverse()) await dependency.stop();
  }
  log('');
  for (const benchmark of selected) {
    if (!failed.includes(benchmark.name)) log(`${benchmark.name}: benchmarks/results/${benchmark.name}.md`);
  }
  if (failed.length > 0) {
    process.stderr.write(`halm bench: ${failed.join(', ')} failed\n`);
    return 1;
  }
  return 0;
};
