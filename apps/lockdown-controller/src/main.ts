import { main, ServiceSettings } from '@halm/platform';
import { LockdownControllerModule } from './lockdown-controller.module';

main({
  name: 'lockdown-controller',
  settings: ServiceSettings,
  defaults: { PORT: 3005 },
  module: () => LockdownControllerModule,
});
