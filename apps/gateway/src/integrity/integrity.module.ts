import { Module } from '@nestjs/common';
import { LOCKDOWN_SWITCH_PROVIDER } from '@halm/messaging';
import { ApiKeyGuard } from '../api-key.guard';
import { LockdownAdminGuard } from '../lockdown/lockdown-admin.guard';
import { LockdownAdminModule } from '../lockdown/lockdown-admin.module';
import { OperatorGuard } from '../operator.guard';
import { IntegrityAuditController } from './integrity-audit.controller';
import { IntegrityChecksController } from './integrity-checks.controller';
import { PublicIntegrity } from './public-integrity';
import { PublicIntegrityController } from './public-integrity.controller';

/** The public integrity status, checks on demand, and the auditor's runs and incidents. */
@Module({
  imports: [LockdownAdminModule],
  controllers: [PublicIntegrityController, IntegrityChecksController, IntegrityAuditController],
  providers: [
    ApiKeyGuard,
    OperatorGuard,
    LockdownAdminGuard,
    PublicIntegrity,
    // Read only: whether any lockdown is in force. The bucket normally exists already (`./halm migrate`).
    LOCKDOWN_SWITCH_PROVIDER,
  ],
})
export class IntegrityModule {}
