import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { TenantDirectory, type Principal } from '@halm/persistence';
import { problem, ProblemException, SETTINGS } from '@halm/platform';
import type { FastifyRequest } from 'fastify';
import type { GatewaySettings } from './gateway.settings';

export type AuthenticatedRequest = FastifyRequest & { principal: Principal };

const unauthorized = (detail: string) =>
  new ProblemException(problem(401, detail, { invalidParams: [{ name: 'Authorization', reason: detail }] }));

/** Turns `Authorization: Bearer <key>` into the key's tenant and roles; 401 for anything else. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  // Hashing and a primary-key lookup per request would sit on the hot path; a short-lived
  // cache bounds how long a revoked key keeps working.
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    private readonly directory: TenantDirectory,
    @Inject(SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header) throw unauthorized('The Authorization header is missing; send Authorization: Bearer <API key>');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized('The Authorization header must be Bearer <API key>');
    const principal = await this.lookup(match[1]!);
    if (!principal) throw unauthorized('The API key is unknown or revoked');
    request.principal = principal;
    return true;
  }

  private async lookup(secret: string): Promise<Principal | null> {
    const now = performance.now();
    const cached = this.cache.get(secret);
    if (cached && cached.until > now) return cached.principal;
    const principal = await this.directory.authenticate(secret);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(secret, { principal, until: now + this.settings.API_KEY_CACHE_MS });
    return principal;
  }
}
