import { Body, Controller, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { AuthorizeRequestDto, type AuthorizeResponse } from '@halm/contracts';
import { LOGGER, problem, ProblemException } from '@halm/platform';
import type { Logger } from 'pino';
import { AuthorizeActionHandler } from '../authorize-action.handler';
import { SANDBOX_PRINCIPAL, SandboxTenant } from './sandbox-tenant';
import { SandboxGuard } from './sandbox.guard';

/**
 * `POST /api/sandbox/authorize`: the authorize call of the quickstart without a key, decided
 * and recorded for the public sandbox tenant by the same handler as `/api/kernel/authorize`.
 */
@Controller('api/sandbox')
@UseGuards(SandboxGuard)
export class SandboxController {
  constructor(
    private readonly handler: AuthorizeActionHandler,
    private readonly tenant: SandboxTenant,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post('authorize')
  @HttpCode(200)
  async authorize(@Body() body: AuthorizeRequestDto): Promise<AuthorizeResponse> {
    try {
      await this.tenant.ready();
    } catch (error) {
      this.logger.error({ err: error }, 'sandbox tenant unavailable');
      throw new ProblemException(
        problem(503, 'The sandbox tenant is not available right now; nothing may proceed (fail closed)', { allowed: false, reasons: ['The sandbox tenant is not available'] }),
      );
    }
    return this.handler.handle(SANDBOX_PRINCIPAL, body, new Date());
  }
}
