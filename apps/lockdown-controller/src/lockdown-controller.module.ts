import { Module } from '@nestjs/common';
import { NatsModule } from '@halm/messaging';

@Module({
  imports: [NatsModule.forRoot('lockdown-controller')],
})
export class LockdownControllerModule {}
