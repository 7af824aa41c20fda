import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureChromium, ensureNats, ensurePostgres, ensurePythonRequests, type Dependency } from '../infrastructure';
import { repositoryRoot, stateDir } from '../paths';

export const TIERS = ['lint', 'typecheck', 'unit', 'integration', 'e2e'] as const;
export type Tier = (typeof TIERS)[number];

interface TierResult {
  tier: Tier;
  passed: number;
  failed: number;
  skipped: number;
  seconds: number;
}

export interface TestOptions {
  natsUrl: string;
  databaseUrl: string;
  tiers: readonly Tier[];
  /** Extra arguments for jest, e.g. a test path pattern. */
  jestArguments: string[];
}

const run = (command: string, args: string[], environment: NodeJS.ProcessEnv): Promise<number> =>
  new Promise((resolve) => {
    const child = spawn(command, args, { cwd: repositoryRoot, env: environment, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.once('error', () => resolve(1));
  });

const bin = (name: string) => join(repositoryRoot, 'node_modules', '.bin', name);

/**
 * `./halm test`: lint, type check, then the unit, integration and e2e tiers of jest against
 * the real NATS and PostgreSQL, started here if they are not running. Lint and type check
 * count as one check each; the last line is the totals of all tiers.
 */
export const test = async (options: TestOptions, log: (line: string) => void): Promise<number> => {
  const resultsDir = join(stateDir, 'test-results');
  rmSync(resultsDir, { recursive: true, force: true });
  mkdirSync(resultsDir, { recursive: true });
  const dependencies: Dependency[] = [];
  const results: TierResult[] = [];
  const environment: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: process.env['CI'] ? '0' : '1' };
  try {
    if (options.tiers.some((tier) => tier === 'integration' || tier === 'e2e')) {
      const nats = await ensureNats({ url: options.natsUrl, dataDir: stateDir, log });
      dependencies.push(nats);
      const postgres = await ensurePostgres({ url: options.databaseUrl, dataDir: stateDir, log });
      dependencies.push(postgres);
      environment['NATS_URL'] = nats.url;
      environment['DATABASE_URL'] = postgres.url;
    }
    for (const tier of options.tiers) {
      const started = performance.now();
      log(`\n── ${tier} ──`);
      if (tier === 'e2e') {
        await ensurePythonRequests(log);
        await ensureChromium(log);
      }
      let result: Omit<TierResult, 'tier' | 'seconds'>;
      if (tier === 'lint') {
        // The module-boundary rule reads Nx's project graph, which `nx show projects` computes.
        const graphCode = await run(bin('nx'), ['show', 'projects'], { ...environment, NX_DAEMON: 'false' });
        const code = graphCode === 0 ? await run(bin('eslint'), ['--max-warnings', '0', 'apps', 'libs', 'tools', 'e2e'], environment) : graphCode;
        result = code === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 };
      } else if (tier === 'typecheck') {
        const code = await run(bin('tsc'), ['-p', 'tsconfig.spec.json', '--noEmit'], environment);
        result = code === 0 ? { passed: 1, failed: 0, skipped: 0 } : { passed: 0, failed: 1, skipped: 0 };
      } else {
        const outputFile = join(resultsDir, `${tier}.json`);
        const args = ['--selectProjects', tier, '--json', '--outputFile', outputFile, ...(process.env['CI'] ? ['--ci'] : []), ...options.jestArguments];
        const code = await run(bin('jest'), args, environment);
        result = readJestResult(outputFile, code);
      }
      const seconds = (performance.now() - started) / 1000;
      results.push({ tier, ...result, seconds });
      log(`${tier}: ${result.passed} passed, ${result.failed} failed${result.skipped ? `, ${result.skipped} skipped` : ''} (${seconds.toFixed(1)} s)`);
    }
  } catch (error) {
    log(`halm test could not run: ${(error as Error).message}`);
    results.push({ tier: options.tiers[0] ?? 'unit', passed: 0, failed: 1, skipped: 0, seconds: 0 });
  } finally {
    for (const dependency of dependencies.reverse()) await dependency.stop();
  }
  const total = results.reduce((sum, result) => ({ passed: sum.passed + result.passed, failed: sum.failed + result.failed, skipped: sum.skipped + result.skipped }), {
    passed: 0,
    failed: 0,
    skipped: 0,
  });
  log('');
  for (const result of results) log(`  ${result.tier.padEnd(12)} ${String(result.passed).padStart(4)} passed  ${String(result.failed).padStart(3)} failed  ${result.seconds.toFixed(1).padStart(6)} s`);
  log(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
  return total.failed > 0 ? 1 : 0;
};

// A suite that fails to load has no tests to count but must still fail the run.
const readJestResult = (file: string, exitCode: number): Omit<TierResult, 'tier' | 'seconds'> => {
  if (!existsSync(file)) return { passed: 0, failed: 1, skipped: 0 };
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    numRuntimeErrorTestSuites: number;
  };
  const failed = report.numFailedTests + report.numRuntimeErrorTestSuites;
  return {
    passed: report.numPassedTests,
    failed: failed === 0 && exitCode !== 0 ? 1 : failed,
    skipped: report.numPendingTests + report.numTodoTests,
  };
};
