import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, UseGuards } from '@nestjs/common';
import type {
  Actor,
  EngageLockdownReply,
  EngageLockdownRequest,
  LockdownRecord,
  LockdownStatusReply,
  LockdownStatusRequest,
  ReleaseLockdownReply,
  ReleaseLockdownRequest,
  Topology,
} from '@halm/contracts';
import { RpcClient, RpcError, TOPOLOGY } from '@halm/messaging';
import { TenantDirectory } from '@halm/persistence';
import { problem, ProblemException, validationProblem } from '@halm/platform';
import { RequireRoles } from '../api-key.guard';
import { CrossTenantAccess } from './cross-tenant-access';
import { LockdownChangeDto, LockdownStatusQuery, type LockdownStatusView } from './lockdown.dto';
import { LockdownAdminGuard, type LockdownAdminRequest } from './lockdown-admin.guard';

// A global lockdown is recorded in every tenant's ledger before the controller answers.
const LOCKDOWN_TIMEOUT_MS = 30_000;

const OPERATOR: Actor = { kind: 'key', id: 'operator' };

const invalid = (name: string, reason: string) => validationProblem([{ name, reason }]);

/** A tenant key sees that a global lockdown is in force and why, not its evidence, which may be about other tenants. */
const redacted = (record: LockdownRecord | null): LockdownRecord | null => record && { ...record, evidence: {} };

/**
 * Lockdown by hand: an admin of a tenant engages or releases its own tenant's lockdown; the
 * operator key also the global one, and any tenant's. Every engage and release is recorded
 * in the ledger with the key that asked and the reason given.
 */
@Controller('api/admin/lockdown')
@UseGuards(LockdownAdminGuard)
@RequireRoles('admin')
export class LockdownController {
  constructor(
    private readonly rpc: RpcClient,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    private readonly directory: TenantDirectory,
    private readonly crossTenant: CrossTenantAccess,
  ) {}

  @Post()
  @HttpCode(200)
  async engage(@Req() request: LockdownAdminRequest, @Body() body: LockdownChangeDto): Promise<EngageLockdownReply> {
    const target = await this.target(request, body, 'POST /api/admin/lockdown');
    return this.ask<EngageLockdownRequest, EngageLockdownReply>(this.topology.lockdownEngageSubject, { ...target, trigger: 'MANUAL', reason: body.reason, by: actorOf(request) });
  }

  @Post('release')
  @HttpCode(200)
  async release(@Req() request: LockdownAdminRequest, @Body() body: LockdownChangeDto): Promise<ReleaseLockdownReply> {
    const target = await this.target(request, body, 'POST /api/admin/lockdown/release');
    return this.ask<ReleaseLockdownRequest, ReleaseLockdownReply>(this.topology.lockdownReleaseSubject, { ...target, reason: body.reason, by: actorOf(request) });
  }

  @Get()
  async status(@Req() request: LockdownAdminRequest, @Query() query: LockdownStatusQuery): Promise<LockdownStatusView> {
    const tenantId = request.operator ? query.tenantId : request.principal!.tenantId;
    if (!request.operator && query.tenantId !== undefined && query.tenantId !== tenantId) {
      await this.crossTenant.record(request.principal!, { method: 'GET', route: '/api/admin/lockdown', resource: 'tenantId', id: query.tenantId });
      throw new ProblemException(problem(403, 'An API key sees only its own tenant\'s lockdown'));
    }
    const reply = await this.ask<LockdownStatusRequest, LockdownStatusReply>(this.topology.lockdownStatusSubject, tenantId === undefined ? {} : { tenantId });
    const global = request.operator ? reply.global : redacted(reply.global);
    return { active: global !== null || (tenantId !== undefined && reply.tenants.length > 0), global, tenants: reply.tenants };
  }

  /** Who may change which lockdown: the operator any, a tenant's admin its own tenant's only. */
  private async target(request: LockdownAdminRequest, body: LockdownChangeDto, route: string): Promise<{ scope: 'global' } | { scope: 'tenant'; tenantId: string }> {
    if (body.scope === 'global') {
      if (body.tenantId !== undefined) throw invalid('tenantId', 'must be absent for a global lockdown');
      if (!request.operator) throw new ProblemException(problem(403, 'A global lockdown needs the operator key; an API key may lock down its own tenant (scope "tenant")'));
      return { scope: 'global' };
    }
    if (request.operator) {
      if (body.tenantId === undefined) throw invalid('tenantId', 'is required when the operator key asks for a tenant lockdown');
      if (!(await this.directory.findTenant(body.tenantId))) throw new ProblemException(problem(404, `No tenant ${body.tenantId}`));
      return { scope: 'tenant', tenantId: body.tenantId };
    }
    const principal = request.principal!;
    if (body.tenantId !== undefined && body.tenantId !== principal.tenantId) {
      await this.crossTenant.record(principal, { method: 'POST', route, resource: 'tenantId', id: body.tenantId });
      throw new ProblemException(problem(403, 'An API key may lock down or release only its own tenant'));
    }
    return { scope: 'tenant', tenantId: principal.tenantId };
  }

  private async ask<TRequest, TReply>(subject: string, body: TRequest): Promise<TReply> {
    try {
      return await this.rpc.request<TRequest, TReply>(subject, body, LOCKDOWN_TIMEOUT_MS);
    } catch (error) {
      if (error instanceof RpcError && error.code === 'BAD_REQUEST') throw new ProblemException(problem(400, error.message, { type: '/problems/invalid-request' }));
      throw new ProblemException(problem(503, `The lockdown controller could not do it: ${(error as Error).message}`));
    }
  }
}

const actorOf = (request: LockdownAdminRequest): Actor => (request.operator ? OPERATOR : { kind: 'key', id: request.principal!.keyId });
