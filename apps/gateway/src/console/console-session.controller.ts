import { Controller, Get, Req, UseGuards } from '@nestjs/common';
import type { Role } from '@halm/contracts';
import { ApiKeyGuard, type AuthenticatedRequest } from '../api-key.guard';

/** Who the key is: what the console shows after sign-in and uses to offer only what the roles allow. */
export interface ConsoleSessionView {
  tenantId: string;
  keyId: string;
  roles: Role[];
}

/** `GET /api/console/session`: any valid key, whatever its roles, learns its own tenant, id and roles (never its secret). */
@Controller('api/console')
@UseGuards(ApiKeyGuard)
export class ConsoleSessionController {
  @Get('session')
  session(@Req() request: AuthenticatedRequest): ConsoleSessionView {
    const { tenantId, keyId, roles } = request.principal;
    return { tenantId, keyId, roles: [...roles] };
  }
}
