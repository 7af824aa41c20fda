import { Body, Controller, Get, HttpCode, Inject, Param, ParseIntPipe, Post, Req, UseGuards } from '@nestjs/common';
import {
  ActivatePolicyDto,
  PublishPolicyDto,
  type AuthorizeResponse,
  type PoliciesReply,
  type PoliciesRequest,
  type PolicyVersionSummary,
  type Topology,
} from '@halm/contracts';
import { compileManifest, diffManifests, type ManifestChange, type ManifestDocument } from '@halm/domain';
import { RpcClient, TOPOLOGY } from '@halm/messaging';
import { problem, ProblemException, SETTINGS, validationProblem } from '@halm/platform';
import { ApiKeyGuard, RequireRoles, type AuthenticatedRequest } from './api-key.guard';
import { AuthorizeActionHandler } from './authorize-action.handler';
import type { GatewaySettings } from './gateway.settings';

/** The answer to a policy change: the policy:update proposal's decision, and the version it made, once it took effect. */
export interface PolicyChangeView {
  decision: AuthorizeResponse;
  /** The version published or activated, when the decision let the kernel carry it out at once; null while it waits. */
  version: number | null;
  hash: string;
}

const versionParam = new ParseIntPipe({ exceptionFactory: () => validationProblem([{ name: 'version', reason: 'must be a version number' }]) });

/**
 * A tenant's policy manifests: immutable versions, listed, shown and diffed from the ledger's
 * record; published, activated and rolled back only through the gate, as policy:update
 * proposals that the manifest in force decides on like any other action.
 */
@Controller('api/policies')
@UseGuards(ApiKeyGuard)
export class PoliciesController {
  constructor(
    private readonly authorize: AuthorizeActionHandler,
    private readonly rpc: RpcClient,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    @Inject(SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  @Get()
  @RequireRoles('admin', 'approver', 'auditor')
  async list(@Req() request: AuthenticatedRequest): Promise<{ activeVersion: number | null; previousVersion: number | null; versions: PolicyVersionSummary[] }> {
    const { activeVersion, previousVersion, versions } = await this.policies(request.principal.tenantId);
    return { activeVersion, previousVersion, versions };
  }

  @Get(':version')
  @RequireRoles('admin', 'approver', 'auditor')
  async show(@Req() request: AuthenticatedRequest, @Param('version', versionParam) version: number): Promise<PolicyVersionSummary & { manifest: ManifestDocument }> {
    return this.version(request.principal.tenantId, version);
  }

  @Get(':from/diff/:to')
  @RequireRoles('admin', 'approver', 'auditor')
  async diff(
    @Req() request: AuthenticatedRequest,
    @Param('from', versionParam) from: number,
    @Param('to', versionParam) to: number,
  ): Promise<{ from: number; to: number; changes: ManifestChange[] }> {
    const [before, after] = await Promise.all([this.version(request.principal.tenantId, from), this.version(request.principal.tenantId, to)]);
    return { from, to, changes: diffManifests(before.manifest, after.manifest) };
  }

  @Post()
  @HttpCode(200)
  @RequireRoles('admin')
  async publish(@Req() request: AuthenticatedRequest, @Body() body: PublishPolicyDto): Promise<PolicyChangeView> {
    const compilation = compileManifest(body.source ?? (body.manifest as object));
    const field = body.source !== undefined ? 'source' : 'manifest';
    if (!compilation.ok) {
      throw validationProblem(
        compilation.errors.map((error) => ({
          name: `${field}${error.path.replace(/\//g, '.')}`,
          reason: error.line !== undefined ? `${error.message} (line ${error.line}, column ${error.column})` : error.message,
        })),
      );
    }
    const { document, hash } = compilation.manifest;
    const decision = await this.propose(request, { operation: 'publish', manifest: document }, body.justification);
    // The same content may have been published before: this publication is the newest version with its hash.
    const published = decision.allowed ? (await this.policies(request.principal.tenantId)).versions.filter((version) => version.hash === hash).at(-1) : undefined;
    return { decision, version: published?.version ?? null, hash };
  }

  @Post('rollback')
  @HttpCode(200)
  @RequireRoles('admin')
  async rollback(@Req() request: AuthenticatedRequest, @Body() body: ActivatePolicyDto): Promise<PolicyChangeView> {
    const { previousVersion } = await this.policies(request.principal.tenantId);
    if (previousVersion === null) throw new ProblemException(problem(409, 'There is no earlier version to roll back to'));
    return this.activate(request, previousVersion, body);
  }

  @Post(':version/activate')
  @HttpCode(200)
  @RequireRoles('admin')
  async activate(@Req() request: AuthenticatedRequest, @Param('version', versionParam) version: number, @Body() body: ActivatePolicyDto): Promise<PolicyChangeView> {
    const target = await this.version(request.principal.tenantId, version);
    if (target.active) throw new ProblemException(problem(409, `Version ${version} is already in force`));
    const decision = await this.propose(request, { operation: 'activate', version, hash: target.hash }, body.justification);
    return { decision, version: decision.allowed ? version : null, hash: target.hash };
  }

  // The admin acts for themselves, not as an agent estimating its own odds: their request carries full confidence, and the manifest decides.
  private propose(request: AuthenticatedRequest, payload: Record<string, unknown>, justification: string | undefined): Promise<AuthorizeResponse> {
    return this.authorize.handle(
      request.principal,
      {
        type: 'policy:update',
        payload,
        ...(justification !== undefined ? { justification } : {}),
        context: { confidenceScore: 1, agentId: request.principal.keyId },
      },
      new Date(),
    );
  }

  private async policies(tenantId: string, version?: number): Promise<PoliciesReply> {
    try {
      return await this.rpc.request<PoliciesRequest, PoliciesReply>(
        this.topology.policiesSubject,
        { tenantId, ...(version !== undefined ? { version } : {}) },
        this.settings.APPEND_TIMEOUT_MS,
      );
    } catch (error) {
      throw new ProblemException(problem(503, `The ledger did not answer with the tenant's policies: ${(error as Error).message}`));
    }
  }

  private async version(tenantId: string, version: number): Promise<PolicyVersionSummary & { manifest: ManifestDocument }> {
    const reply = await this.policies(tenantId, version);
    const summary = reply.versions.find((candidate) => candidate.version === version);
    if (!summary || !reply.manifest) throw new ProblemException(problem(404, `No policy version ${version}`));
    return { ...summary, manifest: reply.manifest as ManifestDocument };
  }
}
