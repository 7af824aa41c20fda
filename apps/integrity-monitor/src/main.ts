import { main, DatabaseServiceSettings } from '@halm/platform';
import { IntegrityMonitorModule } from './integrity-monitor.module';

main({
  name: 'integrity-monitor',
  settings: DatabaseServiceSettings,
  defaults: { PORT: 3004 },
  module: () => IntegrityMonitorModule,
});
