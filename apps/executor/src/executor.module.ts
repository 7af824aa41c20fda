import { Module } from '@nestjs/common';
import { NatsModule } from '@halm/messaging';
import { PersistenceModule } from '@halm/persistence';

@Module({
  imports: [NatsModule.forRoot('executor'), PersistenceModule.forRoot()],
})
export class ExecutorModule {}
