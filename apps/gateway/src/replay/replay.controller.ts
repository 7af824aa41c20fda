import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { compileManifest, DecisionReplay, WhatIfReplay, type CompiledManifest, type ReplayReport, type WhatIfReport } from '@halm/domain';
import { validationProblem } from '@halm/platform';
import { ApiKeyGuard, RequireRoles, type AuthenticatedRequest } from '../api-key.guard';
import { ReplayRequestDto, WhatIfRequestDto } from './replay.dto';
import { TenantHistory } from './tenant-history';

/** The candidate of a what-if, compiled as `POST /api/policies` compiles a manifest to publish: each error names its field. */
const candidateOf = (body: WhatIfRequestDto): CompiledManifest => {
  if (body.source === undefined && body.manifest === undefined) throw validationProblem([{ name: 'manifest', reason: 'manifest or source is required' }]);
  const field = body.source !== undefined ? 'source' : 'manifest';
  const compilation = compileManifest(body.source ?? (body.manifest as object));
  if (!compilation.ok) {
    throw validationProblem(
      compilation.errors.map((error) => ({
        name: `${field}${error.path.replace(/\//g, '.')}`,
        reason: error.line !== undefined ? `${error.message} (line ${error.line}, column ${error.column})` : error.message,
      })),
    );
  }
  return compilation.manifest;
};

/**
 * Replay verification and what-if for auditors, within the key's tenant: the tenant's ledger
 * is read from the stream and folded by the pure replays of libs/domain, which decide each
 * recorded decision again.
 */
@Controller('api/audit')
@UseGuards(ApiKeyGuard)
@RequireRoles('auditor', 'admin')
export class ReplayController {
  constructor(private readonly history: TenantHistory) {}

  @Post('replay')
  @HttpCode(200)
  async replay(@Req() request: AuthenticatedRequest, @Body() body: ReplayRequestDto): Promise<ReplayReport> {
    const tenantId = request.principal.tenantId;
    const range = await this.history.range(tenantId, body);
    const replay = new DecisionReplay(range);
    await this.history.fold(tenantId, range, (event) => replay.apply(event));
    return replay.report();
  }

  @Post('what-if')
  @HttpCode(200)
  async whatIf(@Req() request: AuthenticatedRequest, @Body() body: WhatIfRequestDto): Promise<WhatIfReport> {
    const candidate = candidateOf(body);
    const tenantId = request.principal.tenantId;
    const range = await this.history.range(tenantId, body);
    const replay = new WhatIfReplay(candidate, range);
    await this.history.fold(tenantId, range, (event) => replay.apply(event));
    return replay.report();
  }
}
