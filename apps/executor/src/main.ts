import { LOGGER, main, Metrics } from '@halm/platform';
import { NATS_CONNECTION, NatsRequestServer, TOPOLOGY } from '@halm/messaging';
import { ExecutorModule } from './executor.module';
import { ExecutorSettings } from './executor.settings';

main({
  name: 'executor',
  settings: ExecutorSettings,
  defaults: { PORT: 3002 },
  module: () => ExecutorModule,
  transport: (app) => new NatsRequestServer(app.get(NATS_CONNECTION), app.get(TOPOLOGY), 'executor', app.get(Metrics), app.get(LOGGER)),
});
