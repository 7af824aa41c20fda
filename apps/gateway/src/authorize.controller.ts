import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { AuthorizeRequestDto, type AuthorizeResponse } from '@halm/contracts';
import { ApiKeyGuard, RequireRoles, type AuthenticatedRequest } from './api-key.guard';
import { AuthorizeActionHandler } from './authorize-action.handler';

@Controller('api/kernel')
@UseGuards(ApiKeyGuard)
@RequireRoles('agent')
export class AuthorizeController {
  constructor(private readonly handler: AuthorizeActionHandler) {}

  @Post('authorize')
  @HttpCode(200)
  authorize(@Req() request: AuthenticatedRequest, @Body() body: AuthorizeRequestDto): Promise<AuthorizeResponse> {
    return this.handler.handle(request.principal, body, new Date());
  }
}
