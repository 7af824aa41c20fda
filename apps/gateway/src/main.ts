import { main } from '@halm/platform';
import { GatewayModule } from './gateway.module';
import { GatewaySettings } from './gateway.settings';

main({
  name: 'gateway',
  settings: GatewaySettings,
  defaults: { PORT: 3000 },
  module: () => GatewayModule,
  bodyLimitBytes: 256 * 1024,
});
