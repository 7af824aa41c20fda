import { Module } from '@nestjs/common';
import { hostname } from 'node:os';
import { ANOMALY_REPORTER_PROVIDER, LOCKDOWN_STATE_PROVIDER, NatsModule } from '@halm/messaging';
import { PersistenceModule } from '@halm/persistence';
import { SETTINGS } from '@halm/platform';
import { createConnectors } from './connectors';
import { ExecuteHandler } from './execute.handler';
import { ExecutionGate } from './execution-gate';
import { ExecutorLiveness } from './executor-liveness';
import { CONNECTORS, EXECUTOR_ID } from './executor.tokens';
import type { ExecutorSettings } from './executor.settings';
import { ResolveInDoubtExecutionsJob } from './resolve-in-doubt-executions.job';

@Module({
  imports: [NatsModule.forRoot('executor'), PersistenceModule.forRoot()],
  controllers: [ExecuteHandler],
  providers: [
    ExecutionGate,
    ExecutorLiveness,
    ResolveInDoubtExecutionsJob,
    LOCKDOWN_STATE_PROVIDER,
    ANOMALY_REPORTER_PROVIDER,
    { provide: EXECUTOR_ID, inject: [SETTINGS], useFactory: (settings: ExecutorSettings) => settings.EXECUTOR_ID || `${hostname()}-${settings.PORT}` },
    {
      provide: CONNECTORS,
      inject: [SETTINGS],
      useFactory: (settings: ExecutorSettings) =>
        createConnectors({
          webhook: {
            signingSecret: settings.WEBHOOK_SIGNING_SECRET,
            timeoutMs: settings.WEBHOOK_TIMEOUT_MS,
            maxAttempts: settings.WEBHOOK_MAX_ATTEMPTS,
            initialBackoffMs: settings.WEBHOOK_INITIAL_BACKOFF_MS,
            maxBackoffMs: settings.WEBHOOK_MAX_BACKOFF_MS,
          },
        }),
    },
  ],
})
export class ExecutorModule {}
