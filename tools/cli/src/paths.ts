import { join } from 'node:path';

import { repositoryRoot } from '@halm/testing';

export { repositoryRoot };
export const stateDir = join(repositoryRoot, '.halm');
export const logsDir = join(stateDir, 'logs');
export const demoEnvFile = join(stateDir, 'demo.env');

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/halm';

