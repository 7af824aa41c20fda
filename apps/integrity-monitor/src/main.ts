import { LOGGER, main, Metrics } from '@halm/platform';
import { NATS_CONNECTION, NatsRequestServer, TOPOLOGY } from '@halm/messaging';
import { IntegrityMonitorModule } from './integrity-monitor.module';
import { IntegrityMonitorSettings } from './integrity-monitor.settings';

main({
  name: 'integrity-monitor',
  settings: IntegrityMonitorSettings,
  defaults: { PORT: 3004 },
  module: () => IntegrityMonitorModule,
  transport: (app) => new NatsRequestServer(app.get(NATS_CONNECTION), app.get(TOPOLOGY), 'integrity-monitor', app.get(Metrics), app.get(LOGGER)),
});
