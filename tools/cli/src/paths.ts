import { join, resolve } from 'node:path';

/** The repository root: tools/cli/dist/… → three levels up. */
export const repositoryRoot = resolve(__dirname, '..', '..', '..');
export const stateDir = join(repositoryRoot, '.halm');
export const logsDir = join(stateDir, 'logs');
export const demoEnvFile = join(stateDir, 'demo.env');

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/halm';

export const SERVICES = ['policy-evaluator', 'ledger', 'executor', 'integrity-monitor', 'lockdown-controller', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Ports from HALM_BASE_PORT (default 3000): the gateway on the base port, the others after it. */
export const servicePort = (service: ServiceName, basePort: number): number =>
  basePort + ['gateway', 'policy-evaluator', 'executor', 'ledger', 'integrity-monitor', 'lockdown-controller'].indexOf(service);
