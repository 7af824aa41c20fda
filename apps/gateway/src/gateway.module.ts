import { Module } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { NatsModule } from '@halm/messaging';
import { PersistenceModule } from '@halm/persistence';
import { RequestValidationPipe } from '@halm/platform';
import { ApiKeyGuard } from './api-key.guard';
import { AuthorizeActionHandler } from './authorize-action.handler';
import { AuthorizeController } from './authorize.controller';

@Module({
  imports: [NatsModule.forRoot('gateway'), PersistenceModule.forRoot()],
  controllers: [AuthorizeController],
  providers: [
    ApiKeyGuard,
    AuthorizeActionHandler,
    { provide: APP_PIPE, useClass: RequestValidationPipe },
  ],
})
export class GatewayModule {}
