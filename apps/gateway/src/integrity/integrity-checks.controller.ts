import { Controller, HttpCode, Inject, Post, Query, Req, UseGuards } from '@nestjs/common';
import type { Actor, IntegrityCheckReply, IntegrityCheckRequest, IntegrityRunView, Topology } from '@halm/contracts';
import { RpcClient, RpcError, TOPOLOGY } from '@halm/messaging';
import { TenantDirectory } from '@halm/persistence';
import { problem, ProblemException } from '@halm/platform';
import { RequireRoles } from '../api-key.guard';
import { CrossTenantAccess } from '../lockdown/cross-tenant-access';
import { LockdownAdminGuard, type LockdownAdminRequest } from '../lockdown/lockdown-admin.guard';
import { IntegrityCheckQuery } from './integrity.query';

// A check of every tenant, or a full one, reads much history; the monitor answers once it is recorded.
const CHECK_TIMEOUT_MS = 120_000;
const OPERATOR: Actor = { kind: 'key', id: 'operator' };

/**
 * A check now: an admin key checks its own tenant, the operator key every tenant (or the one it
 * names). The run is recorded like a scheduled one; a violation opens an incident.
 */
@Controller('api/admin/integrity')
@UseGuards(LockdownAdminGuard)
@RequireRoles('admin')
export class IntegrityChecksController {
  constructor(
    private readonly rpc: RpcClient,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    private readonly directory: TenantDirectory,
    private readonly crossTenant: CrossTenantAccess,
  ) {}

  @Post('checks')
  @HttpCode(200)
  async check(@Req() request: LockdownAdminRequest, @Query() query: IntegrityCheckQuery): Promise<IntegrityRunView> {
    const principal = request.principal;
    if (!request.operator && principal && query.tenantId !== undefined && query.tenantId !== principal.tenantId) {
      await this.crossTenant.record(principal, { method: 'POST', route: '/api/admin/integrity/checks', resource: 'tenantId', id: query.tenantId });
      throw new ProblemException(problem(403, 'An API key may check only its own tenant'));
    }
    const tenantId = request.operator ? query.tenantId : principal!.tenantId;
    if (request.operator && tenantId !== undefined && !(await this.directory.findTenant(tenantId))) throw new ProblemException(problem(404, `No tenant ${tenantId}`));
    const body: IntegrityCheckRequest = { ...(tenantId === undefined ? {} : { tenantId }), full: query.full === true, requestedBy: request.operator ? OPERATOR : { kind: 'key', id: principal!.keyId } };
    let reply: IntegrityCheckReply;
    try {
      reply = await this.rpc.request<IntegrityCheckRequest, IntegrityCheckReply>(this.topology.integrityCheckSubject, body, CHECK_TIMEOUT_MS);
    } catch (error) {
      if (error instanceof RpcError && error.code === 'BAD_REQUEST') throw new ProblemException(problem(400, error.message, { type: '/problems/invalid-request' }));
      throw new ProblemException(problem(503, `The integrity monitor did not check: ${(error as Error).message}`));
    }
    if (request.operator) return reply.run;
    // A tenant's key sees its own tenant's part of the run, nothing of the kernel's or another's.
    const mine = reply.tenants.find((tenant) => tenant.tenantId === tenantId);
    if (!mine?.checked) throw new ProblemException(problem(503, `The tenant was not checked: ${mine?.notes.join('; ') ?? 'no answer for it'}; retry`));
    return { ...reply.run, eventsExamined: mine.eventsExamined, results: mine.results };
  }
}
