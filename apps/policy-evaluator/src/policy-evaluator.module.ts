import { Module } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Topology } from '@halm/contracts';
import { AnomalyReporter, LockdownState, NATS_CONNECTION, NatsModule, RpcClient, TOPOLOGY } from '@halm/messaging';
import { LOGGER } from '@halm/platform';
import type { Logger } from 'pino';
import { DecisionAnomalies } from './decision-anomalies';
import { EvaluateProposalHandler } from './evaluate-proposal.handler';

@Module({
  imports: [NatsModule.forRoot('policy-evaluator')],
  controllers: [EvaluateProposalHandler],
  providers: [
    DecisionAnomalies,
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
  ],
})
export class PolicyEvaluatorModule {}
