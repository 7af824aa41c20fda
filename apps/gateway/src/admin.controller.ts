import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req, UseGuards } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { CreateTenantDto, IssueKeyDto, type ApiKeyView, type Topology } from '@halm/contracts';
import { NATS_CONNECTION, TOPOLOGY } from '@halm/messaging';
import { TenantDirectory, type ApiKeyEntity } from '@halm/persistence';
import { problem, ProblemException } from '@halm/platform';
import { ApiKeyGuard, RequireRoles, type AuthenticatedRequest } from './api-key.guard';
import { OperatorGuard } from './operator.guard';

const view = (key: ApiKeyEntity): ApiKeyView => ({
  id: key.id,
  roles: key.roles,
  label: key.label,
  createdAt: key.createdAt.toISOString(),
  revokedAt: key.revokedAt ? key.revokedAt.toISOString() : null,
});

/** Tenants (operator) and a tenant's API keys (its admins). Secrets are shown once, at issue. */
@Controller('api/admin')
export class AdminController {
  constructor(
    private readonly directory: TenantDirectory,
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    @Inject(TOPOLOGY) private readonly topology: Topology,
  ) {}

  @Post('tenants')
  @UseGuards(OperatorGuard)
  async createTenant(@Body() body: CreateTenantDto) {
    const tenant = await this.directory.createTenant(body.name.trim());
    const adminKey = await this.directory.issueKey(tenant.id, ['admin'], 'first admin');
    return { tenantId: tenant.id, name: tenant.name, adminKey: { id: adminKey.id, secret: adminKey.secret, roles: adminKey.roles } };
  }

  @Get('keys')
  @UseGuards(ApiKeyGuard)
  @RequireRoles('admin')
  async listKeys(@Req() request: AuthenticatedRequest): Promise<{ keys: ApiKeyView[] }> {
    return { keys: (await this.directory.listKeys(request.principal.tenantId)).map(view) };
  }

  @Post('keys')
  @UseGuards(ApiKeyGuard)
  @RequireRoles('admin')
  async issueKey(@Req() request: AuthenticatedRequest, @Body() body: IssueKeyDto) {
    const key = await this.directory.issueKey(request.principal.tenantId, body.roles, body.label ?? '');
    return { id: key.id, secret: key.secret, roles: key.roles, label: body.label ?? '' };
  }

  @Delete('keys/:keyId')
  @HttpCode(204)
  @UseGuards(ApiKeyGuard)
  @RequireRoles('admin')
  async revokeKey(@Req() request: AuthenticatedRequest, @Param('keyId') keyId: string): Promise<void> {
    const revoked = await this.directory.revokeKey(request.principal.tenantId, keyId);
    // Another tenant's key id answers exactly like one that does not exist.
    if (!revoked) throw new ProblemException(problem(404, `No API key ${keyId}`));
    this.connection.publish(this.topology.keyRevokedSubject, JSON.stringify({ keyHash: revoked.keyHash }));
  }
}
