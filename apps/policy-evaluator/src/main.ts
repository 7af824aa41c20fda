import { LOGGER, main, Metrics } from '@halm/platform';
import { NATS_CONNECTION, NatsRequestServer, TOPOLOGY } from '@halm/messaging';
import { PolicyEvaluatorModule } from './policy-evaluator.module';
import { PolicyEvaluatorSettings } from './policy-evaluator.settings';

main({
  name: 'policy-evaluator',
  settings: PolicyEvaluatorSettings,
  defaults: { PORT: 3001 },
  module: () => PolicyEvaluatorModule,
  transport: (app) => new NatsRequestServer(app.get(NATS_CONNECTION), app.get(TOPOLOGY), 'policy-evaluator', app.get(Metrics), app.get(LOGGER)),
});
