import { type CallHandler, type ExecutionContext, HttpException, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AnomalyReporter } from '@halm/messaging';
import { ApiKeyEntity, ProposalEntity, type Principal } from '@halm/persistence';
import { LOGGER } from '@halm/platform';
import type { Logger } from 'pino';
import { catchError, type Observable, throwError } from 'rxjs';
import { DataSource } from 'typeorm';

const GATEWAY = { kind: 'kernel', id: 'gateway' } as const;

/** The route parameters that name another tenant's resource when they name one that exists, and where each is looked up. */
const OWNERS: Record<string, (dataSource: DataSource, id: string) => Promise<string | null>> = {
  proposalId: async (dataSource, id) => (await dataSource.getRepository(ProposalEntity).findOne({ where: { proposalId: id }, select: { tenantId: true } }))?.tenantId ?? null,
  keyId: async (dataSource, id) => (await dataSource.getRepository(ApiKeyEntity).findOne({ where: { id }, select: { tenantId: true } }))?.tenantId ?? null,
};

const MAX_ID_LENGTH = 128;

/**
 * Cross-tenant access attempts: a key that names another tenant's proposal or key still gets
 * the same 404 as for an id that does not exist, and the attempt is recorded as a critical
 * CROSS_TENANT_ACCESS anomaly in the key's own tenant's ledger (never in the other tenant's,
 * whose id is not recorded either). Named after the key and the resource, so repeating the
 * same request records it once.
 */
@Injectable()
export class CrossTenantAccess {
  constructor(
    private readonly dataSource: DataSource,
    private readonly reporter: AnomalyReporter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Looks the resource up and records the attempt if another tenant owns it; never throws. */
  async notice(principal: Principal, method: string, route: string, params: Record<string, string>): Promise<void> {
    try {
      for (const [parameter, ownerOf] of Object.entries(OWNERS)) {
        const id = params[parameter];
        if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) continue;
        const owner = await ownerOf(this.dataSource, id);
        if (owner !== null && owner !== principal.tenantId) await this.record(principal, { method, route, resource: parameter, id });
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'could not check a 404 for cross-tenant access');
    }
  }

  /** Records an attempt the caller recognised itself (say a tenant key naming another tenant). */
  async record(principal: Principal, attempt: { method: string; route: string; resource: string; id: string }): Promise<void> {
    const anomalyId = `xtenant_${createHash('sha256').update(`${principal.keyId}:${attempt.resource}:${attempt.id}`).digest('hex').slice(0, 32)}`;
    await this.reporter.report(principal.tenantId, 'CROSS_TENANT_ACCESS', 'critical', { keyId: principal.keyId, ...attempt }, GATEWAY, anomalyId);
  }
}

/** Lets every 404 through unchanged, and has CrossTenantAccess look at the ones an authenticated key got. */
@Injectable()
export class CrossTenantAccessInterceptor implements NestInterceptor {
  constructor(private readonly crossTenant: CrossTenantAccess) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (error instanceof HttpException && error.getStatus() === 404) {
          const request = context.switchToHttp().getRequest<{ principal?: Principal; params?: Record<string, string>; method: string; routeOptions?: { url?: string } }>();
          if (request.principal && request.params) void this.crossTenant.notice(request.principal, request.method, request.routeOptions?.url ?? '', request.params);
        }
        return throwError(() => error);
      }),
    );
  }
}
