import { Module } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { NatsModule } from '@halm/messaging';
import { PersistenceModule } from '@halm/persistence';
import { RequestValidationPipe } from '@halm/platform';
import { AdminController } from './admin.controller';
import { ApiKeyGuard } from './api-key.guard';
import { AuthorizeActionHandler } from './authorize-action.handler';
import { AuthorizeController } from './authorize.controller';
import { OperatorGuard } from './operator.guard';

@Module({
  imports: [NatsModule.forRoot('gateway'), PersistenceModule.forRoot()],
  controllers: [AuthorizeController, AdminController],
  providers: [
    ApiKeyGuard,
    OperatorGuard,
    AuthorizeActionHandler,
    { provide: APP_PIPE, useClass: RequestValidationPipe },
  ],
})
export class GatewayModule {}
