import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ANOMALY_REPORTER_PROVIDER, AnomalyReporter } from '@halm/messaging';
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
    ANOMALY_REPORTER_PROVIDER,
  ],
  exports: [AnomalyReporter, CrossTenantAccess],
})
export class LockdownAdminModule {}
