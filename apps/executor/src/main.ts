import { main, DatabaseServiceSettings } from '@halm/platform';
import { ExecutorModule } from './executor.module';

main({
  name: 'executor',
  settings: DatabaseServiceSettings,
  defaults: { PORT: 3002 },
  module: () => ExecutorModule,
});
