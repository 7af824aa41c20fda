import { LOGGER, main, Metrics } from '@halm/platform';
import { NATS_CONNECTION, NatsRequestServer, TOPOLOGY } from '@halm/messaging';
import { LedgerModule } from './ledger.module';
import { LedgerSettings } from './ledger.settings';

main({
  name: 'ledger',
  settings: LedgerSettings,
  defaults: { PORT: 3003 },
  module: () => LedgerModule,
  transport: (app) => new NatsRequestServer(app.get(NATS_CONNECTION), app.get(TOPOLOGY), 'ledger', app.get(Metrics), app.get(LOGGER)),
});
