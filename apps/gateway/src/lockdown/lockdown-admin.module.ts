import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { Topology } from '@halm/contracts';
import { AnomalyReporter, RpcClient, TOPOLOGY } from '@halm/messaging';
import { LOGGER } from '@halm/platform';
import type { Logger } from 'pino';
import { ApiKeyGuard } from '../api-key.guard';
import { OperatorGuard } from '../operator.guard';
import { CrossTenantAccess, CrossTenantAccessInterceptor } from './cross-tenant-access';
import { LockdownController } from './lockdown.controller';
import { LockdownAdminGuard } from './lockdown-admin.guard';

/** The lockdown routes, and the anomalies the gateway records (cross-tenant access on any route). */
@Module({
  controllers: [LockdownController],
  providers: [
    ApiKeyGuard,
    OperatorGuard,
    LockdownAdminGuard,
    CrossTenantAccess,
    { provide: APP_INTERCEPTOR, useClass: CrossTenantAccessInterceptor },
    { provide: AnomalyReporter, inject: [RpcClient, TOPOLOGY, LOGGER], useFactory: (rpc: RpcClient, topology: Topology, logger: Logger) => new AnomalyReporter(rpc, topology, logger) },
  ],
  exports: [AnomalyReporter, CrossTenantAccess],
})
export class LockdownAdminModule {}
