import { Module } from '@nestjs/common';
import { ApiKeyGuard } from '../api-key.guard';
import { ReplayController } from './replay.controller';
import { TenantHistory } from './tenant-history';

/** `POST /api/audit/replay` and `POST /api/audit/what-if`. */
@Module({
  controllers: [ReplayController],
  providers: [ApiKeyGuard, TenantHistory],
})
export class ReplayModule {}
