import { LOGGER, main, Metrics, ServiceSettings } from '@halm/platform';
import { NATS_CONNECTION, NatsRequestServer, TOPOLOGY } from '@halm/messaging';
import { PolicyEvaluatorModule } from './policy-evaluator.module';

main({
  name: 'policy-evaluator',
  settings: ServiceSettings,
  defaults: { PORT: 3001 },
  module: () => PolicyEvaluatorModule,
  transport: (app) => new NatsRequestServer(app.get(NATS_CONNECTION), app.get(TOPOLOGY), 'policy-evaluator', app.get(Metrics), app.get(LOGGER)),
});
