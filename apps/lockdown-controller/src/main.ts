import { LOGGER, main, Metrics } from '@halm/platform';
import { NATS_CONNECTION, NatsRequestServer, TOPOLOGY } from '@halm/messaging';
import { LockdownControllerModule } from './lockdown-controller.module';
import { LockdownControllerSettings } from './lockdown-controller.settings';

main({
  name: 'lockdown-controller',
  settings: LockdownControllerSettings,
  defaults: { PORT: 3005 },
  module: () => LockdownControllerModule,
  transport: (app) => new NatsRequestServer(app.get(NATS_CONNECTION), app.get(TOPOLOGY), 'lockdown-controller', app.get(Metrics), app.get(LOGGER)),
});
