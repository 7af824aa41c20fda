import { type CanActivate, type ExecutionContext, Inject, Injectable, type OnModuleInit, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Role, Topology } from '@halm/contracts';
import { NATS_CONNECTION, TOPOLOGY } from '@halm/messaging';
import { hashApiKey, TenantDirectory, type Principal } from '@halm/persistence';
import { LOGGER, problem, ProblemException, SETTINGS } from '@halm/platform';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { GatewaySettings } from './gateway.settings';

export type AuthenticatedRequest = FastifyRequest & { principal: Principal };

const REQUIRED_ROLES = 'halm:required-roles';

/** The roles of which a key needs at least one to call the route. */
export const RequireRoles = (...roles: Role[]) => SetMetadata(REQUIRED_ROLES, roles);

const unauthorized = (detail: string) =>
  new ProblemException(problem(401, detail, { invalidParams: [{ name: 'Authorization', reason: detail }] }));

/**
 * Turns `Authorization: Bearer <key>` into the key's tenant and roles (401 for anything
 * else) and checks the roles the route requires (403).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate, OnModuleInit {
  // A hash and a primary-key lookup per request would sit on the hot path. Entries live at
  // most API_KEY_CACHE_MS, and a revocation announced over NATS drops them at once.
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    private readonly directory: TenantDirectory,
    private readonly reflector: Reflector,
    @Inject(SETTINGS) private readonly settings: GatewaySettings,
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.connection.subscribe(this.topology.keyRevokedSubject, {
      callback: (error, message) => {
        if (error) return;
        const { keyHash } = message.json<{ keyHash: string }>();
        this.cache.delete(keyHash);
        this.logger.info({ keyHash: keyHash.slice(0, 12) }, 'revoked key dropped from cache');
      },
    });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header) throw unauthorized('The Authorization header is missing; send Authorization: Bearer <API key>');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized('The Authorization header must be Bearer <API key>');
    const principal = await this.lookup(hashApiKey(match[1]!));
    if (!principal) throw unauthorized('The API key is unknown or revoked');
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, [context.getHandler(), context.getClass()]);
    if (required && !required.some((role) => principal.roles.includes(role))) {
      throw new ProblemException(problem(403, `This API key lacks the role this call needs: ${required.join(' or ')}`, { requiredRoles: required }));
    }
    request.principal = principal;
    return true;
  }

  private async lookup(keyHash: string): Promise<Principal | null> {
    const now = performance.now();
    const cached = this.cache.get(keyHash);
    if (cached && cached.until > now) return cached.principal;
    const principal = await this.directory.authenticateHash(keyHash);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(keyHash, { principal, until: now + this.settings.API_KEY_CACHE_MS });
    return principal;
  }
}
