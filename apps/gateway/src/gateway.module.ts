import { Module } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { NatsModule } from '@halm/messaging';
import { PersistenceModule } from '@halm/persistence';
import { RequestValidationPipe } from '@halm/platform';
import { AdminController } from './admin.controller';
import { API_DOCS_CONTROLLERS, API_DOCS_PROVIDERS } from './api-docs';
import { ApiKeyGuard } from './api-key.guard';
import { ApprovalsController } from './approvals.controller';
import { AuditController } from './audit/audit.controller';
import { AuthorizeActionHandler } from './authorize-action.handler';
import { AuthorizeController } from './authorize.controller';
import { ConsolePageController } from './console/console-page.controller';
import { ConsoleSessionController } from './console/console-session.controller';
import { ExecutionTokenIssuer } from './execution-token.issuer';
import { ExecutionsController } from './executions.controller';
import { IntegrityModule } from './integrity/integrity.module';
import { LockdownAdminModule } from './lockdown/lockdown-admin.module';
import { OperatorGuard } from './operator.guard';
import { PoliciesController } from './policies.controller';
import { ProposalUpdates } from './proposal-updates';
import { ProposalsController } from './proposals.controller';
import { ReplayModule } from './replay/replay.module';
import { TransparencyPageController } from './transparency/transparency-page.controller';

@Module({
  imports: [NatsModule.forRoot('gateway'), PersistenceModule.forRoot(), LockdownAdminModule, ReplayModule, IntegrityModule],
  controllers: [AuthorizeController, ExecutionsController, AdminController, ProposalsController, ApprovalsController, PoliciesController, ...API_DOCS_CONTROLLERS, AuditController, TransparencyPageController, ConsolePageController, ConsoleSessionController],
  providers: [
    ApiKeyGuard,
    OperatorGuard,
    AuthorizeActionHandler,
    ExecutionTokenIssuer,
    ProposalUpdates,
    ...API_DOCS_PROVIDERS,
    { provide: APP_PIPE, useClass: RequestValidationPipe },
  ],
})
export class GatewayModule {}
