import { Module } from '@nestjs/common';
import { hostname } from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Topology } from '@halm/contracts';
import { AnomalyReporter, LockdownState, NATS_CONNECTION, NatsModule, RpcClient, TOPOLOGY } from '@halm/messaging';
import { PersistenceModule } from '@halm/persistence';
import { LOGGER, SETTINGS } from '@halm/platform';
import type { Logger } from 'pino';
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
    {
      provide: LockdownState,
      inject: [NATS_CONNECTION, TOPOLOGY, LOGGER],
      useFactory: async (connection: NatsConnection, topology: Topology, logger: Logger) => {
        const state = new LockdownState(connection, topology, { logger });
        await state.start();
        return state;
      },
    },
    { provide: AnomalyReporter, inject: [RpcClient, TOPOLOGY, LOGGER], useFactory: (rpc: RpcClient, topology: Topology, logger: Logger) => new AnomalyReporter(rpc, topology, logger) },
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
