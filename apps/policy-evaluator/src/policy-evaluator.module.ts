import { Module } from '@nestjs/common';
import { NatsModule } from '@halm/messaging';
import { EvaluateProposalHandler } from './evaluate-proposal.handler';

@Module({
  imports: [NatsModule.forRoot('policy-evaluator')],
  controllers: [EvaluateProposalHandler],
})
export class PolicyEvaluatorModule {}
