import { Controller, Get, Param, Query, Req, UseGuards } from '@nestjs/common';
import type { IncidentView, IntegrityRunView } from '@halm/contracts';
import { IntegrityReadModel } from '@halm/persistence';
import { problem, ProblemException } from '@halm/platform';
import { ApiKeyGuard, RequireRoles, type AuthenticatedRequest } from '../api-key.guard';
import { DEFAULT_PAGE, ListIncidentsQuery, ListIntegrityRunsQuery } from './integrity.query';

const MAX_ID_LENGTH = 128;

/** What auditors read of the integrity checks, within the key's tenant: the runs that examined it, and its incidents. */
@Controller('api/audit')
@UseGuards(ApiKeyGuard)
@RequireRoles('auditor', 'admin')
export class IntegrityAuditController {
  constructor(private readonly reads: IntegrityReadModel) {}

  @Get('integrity/checks')
  async runs(@Req() request: AuthenticatedRequest, @Query() query: ListIntegrityRunsQuery): Promise<{ runs: IntegrityRunView[] }> {
    return { runs: await this.reads.runsOfTenant(request.principal.tenantId, query.limit ?? DEFAULT_PAGE) };
  }

  @Get('incidents')
  async incidents(@Req() request: AuthenticatedRequest, @Query() query: ListIncidentsQuery): Promise<{ incidents: IncidentView[] }> {
    return { incidents: await this.reads.incidents({ tenantId: request.principal.tenantId, limit: query.limit ?? DEFAULT_PAGE, ...(query.status ? { status: query.status } : {}) }) };
  }

  @Get('incidents/:incidentId')
  async incident(@Req() request: AuthenticatedRequest, @Param('incidentId') incidentId: string): Promise<IncidentView> {
    const found = incidentId.length <= MAX_ID_LENGTH ? await this.reads.incident(incidentId, request.principal.tenantId) : undefined;
    if (!found) throw new ProblemException(problem(404, `No incident ${incidentId.slice(0, MAX_ID_LENGTH)}`));
    return found;
  }
}
