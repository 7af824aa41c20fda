import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureNats, ensurePostgres, type Dependency } from '../infrastructure';
import { isPortFree, SERVICES, servicePort, startStack, type RunningStack } from '@halm/testing';
import { demoEnvFile, logsDir, stateDir } from '../paths';
import { ensureDemoTenant, ledgerSigningKeyFor, operatorKeyFor, signingKeyFor, webhookSecretFor, writeDemoEnv } from './demo-tenant';
import { runMigrations } from './migrate.command';

export interface UpOptions {
  natsUrl: string;
  databaseUrl: string;
  namespace: string;
  basePort: number;
}

/** `./halm up`: dependencies, migrations, the six services, a demo tenant; runs until Ctrl-C or SIGTERM. */
export const up = async (options: UpOptions, log: (line: string) => void): Promise<number> => {
  mkdirSync(stateDir, { recursive: true });
  for (const service of SERVICES) {
    const port = servicePort(service, options.basePort);
    if (!(await isPortFree(port))) {
      log(`port ${port} (for ${service}) is taken: stop what uses it or set HALM_BASE_PORT`);
      return 1;
    }
  }
  const dependencies: Dependency[] = [];
  const stopDependencies = async () => {
    for (const dependency of [...dependencies].reverse()) await dependency.stop();
  };
  let stack: RunningStack | undefined;
  let starting: Promise<RunningStack> | undefined;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping Halm`);
    // a signal while the services start must still stop those already spawned: startStack stops
    // them itself when it fails, and hands them over here when it succeeds
    await (stack ?? (await starting?.catch(() => undefined)))?.stop();
    await stopDependencies();
    log('stopped');
    process.exit(0);
  };
  // SIGHUP: the terminal closed. Its default would end this process at once and leave nats-server
  // and postgres running, as both take SIGHUP as "reload the configuration"; nothing may read
  // what is printed then, and a write to the closed terminal must not stop the shutdown.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(signal));

  try {
    const nats = await ensureNats({ url: options.natsUrl, dataDir: stateDir, log });
    dependencies.push(nats);
    const postgres = await ensurePostgres({ url: options.databaseUrl, dataDir: stateDir, log });
    dependencies.push(postgres);
    log(`NATS ${nats.startedHere ? 'started' : 'found'} at ${nats.url}; PostgreSQL ${postgres.startedHere ? 'started' : 'found'} at ${redact(postgres.url)}`);
    await runMigrations({ natsUrl: nats.url, databaseUrl: postgres.url, namespace: options.namespace, ledgerReplicas: 1 }, log);
    // checked just before spawning: either shutdown() sees `starting`, or this sees `stopping`
    if (stopping) return await untilShutdownExits();
    log('starting the six services…');
    const operatorKey = operatorKeyFor(demoEnvFile);
    const signingKey = signingKeyFor(demoEnvFile);
    const ledgerSigningKey = ledgerSigningKeyFor(demoEnvFile);
    const webhookSecret = webhookSecretFor(demoEnvFile);
    starting = startStack({
      natsUrl: nats.url,
      databaseUrl: postgres.url,
      namespace: options.namespace,
      basePort: options.basePort,
      logsDir,
      environment: { OPERATOR_API_KEY: operatorKey, EXECUTION_TOKEN_SIGNING_KEY: signingKey, LEDGER_SIGNING_KEY: ledgerSigningKey, WEBHOOK_SIGNING_SECRET: webhookSecret },
    });
    stack = await starting;
    if (stopping) return await untilShutdownExits();
    const { tenant, created } = await ensureDemoTenant(postgres.url, demoEnvFile);
    const gatewayUrl = stack.urls.gateway!;
    writeDemoEnv(demoEnvFile, gatewayUrl, tenant, { operatorKey, signingKey, ledgerSigningKey, webhookSecret });
    for (const entry of stack.processes) log(`  ${entry.label.padEnd(20)} ${entry.url}   (health: /health, metrics: /metrics)`);
    log('');
    log(`Halm is up. ${created ? 'Created' : 'Reusing'} demo tenant ${tenant.tenantId}; keys are in .halm/demo.env`);
    log(`  HALM_URL=${gatewayUrl}`);
    log(`  HALM_API_KEY=${tenant.agentKey}`);
    log('');
    log('Try it:');
    log(`  curl -s ${gatewayUrl}/api/kernel/authorize -H "Authorization: Bearer ${tenant.agentKey}" \\`);
    log(`    -H 'content-type: application/json' -d '{"type":"ledger:write","payload":{"amount":120,"recipient":"acme"},"context":{"confidenceScore":0.92}}'`);
    log(`Logs: ${join('.halm', 'logs')}/<service>.log. Ctrl-C stops everything.`);
    for (const entry of stack.processes) {
      entry.process.once('exit', (code) => {
        if (!stopping) log(`${entry.label} exited unexpectedly (code ${code}); see .halm/logs/${entry.label}.log`);
      });
    }
    return await untilShutdownExits();
  } catch (error) {
    // a signal's shutdown, which ends the process, pulled the servers from under the start
    if (stopping) return await untilShutdownExits();
    log(`halm up failed: ${(error as Error).message}`);
    await stack?.stop();
    await stopDependencies();
    return 1;
  }
};

/** Never settles: shutdown() ends the process once everything has stopped. */
const untilShutdownExits = () => new Promise<number>(() => undefined);

const redact = (url: string): string => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
