import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { LOGGER, problem, ProblemException, SETTINGS } from '@halm/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { GatewaySettings } from '../gateway.settings';
import { sandboxEnabled } from './sandbox-tenant';
import { TokenBucketLimiter } from './token-bucket';

/**
 * The sandbox's door: 404 when SANDBOX_ENABLED=false, else a token bucket per client IP
 * (in this gateway instance's memory), 429 with Retry-After when it is empty. It runs before
 * validation, so malformed requests count against the limit too.
 */
@Injectable()
export class SandboxGuard implements CanActivate {
  private readonly limiter: TokenBucketLimiter;

  constructor(
    @Inject(SETTINGS) private readonly settings: GatewaySettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.limiter = new TokenBucketLimiter({ refill: settings.SANDBOX_RATE_LIMIT, windowMs: settings.SANDBOX_RATE_WINDOW_MS, burst: settings.SANDBOX_BURST });
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (!sandboxEnabled(this.settings)) {
      throw new ProblemException(problem(404, 'The sandbox is disabled on this deployment (SANDBOX_ENABLED=false); use /api/kernel/authorize with an API key'));
    }
    const decision = this.limiter.take(request.ip, performance.now());
    if (decision.allowed) return true;
    const { SANDBOX_RATE_LIMIT: limit, SANDBOX_RATE_WINDOW_MS: windowMs, SANDBOX_BURST: burst } = this.settings;
    this.logger.debug({ ip: request.ip, retryAfterSeconds: decision.retryAfterSeconds }, 'sandbox rate limit reached');
    void context.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(decision.retryAfterSeconds));
    throw new ProblemException(
      problem(
        429,
        `Too many sandbox requests from this address: ${limit} per ${windowMs / 1000} s, bursts of ${burst}. Retry in ${decision.retryAfterSeconds} s`,
        { type: '/problems/rate-limited', retryAfter: decision.retryAfterSeconds },
      ),
    );
  }
}
