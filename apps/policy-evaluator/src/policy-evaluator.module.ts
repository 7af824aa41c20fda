import { Module } from '@nestjs/common';
import { ANOMALY_REPORTER_PROVIDER, LOCKDOWN_STATE_PROVIDER, NatsModule } from '@halm/messaging';
import { DecisionAnomalies } from './decision-anomalies';
import { EvaluateProposalHandler } from './evaluate-proposal.handler';

@Module({
  imports: [NatsModule.forRoot('policy-evaluator')],
  controllers: [EvaluateProposalHandler],
  providers: [DecisionAnomalies, LOCKDOWN_STATE_PROVIDER, ANOMALY_REPORTER_PROVIDER],
})
export class PolicyEvaluatorModule {}
