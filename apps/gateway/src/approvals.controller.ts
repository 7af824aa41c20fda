import { Body, Controller, HttpCode, Inject, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ProposalVerdictDto, type AppendReply, type AppendRequest, type LedgerEventType, type Topology } from '@halm/contracts';
import { evolveProposal, type ProposalLifecycle, type ProposalRow } from '@halm/domain';
import { RpcClient, RpcError, TOPOLOGY } from '@halm/messaging';
import { ProposalReadModel } from '@halm/persistence';
import { problem, ProblemException, SETTINGS } from '@halm/platform';
import { ApiKeyGuard, RequireRoles, type AuthenticatedRequest } from './api-key.guard';
import type { GatewaySettings } from './gateway.settings';

/** What an approver's verdict recorded. */
export interface VerdictView {
  proposalId: string;
  lifecycle: ProposalLifecycle;
  event: { type: LedgerEventType; height: number; hash: string };
}

// Longer than the projection ever lags on a healthy deployment; an unknown id answers 404 after it.
const PROJECTION_GRACE_MS = 1_500;

const VERDICTS = {
  approve: { type: 'ProposalApproved', suffix: 'approved' },
  reject: { type: 'ProposalRejected', suffix: 'rejected' },
  veto: { type: 'ProposalVetoed', suffix: 'vetoed' },
} as const;

/**
 * Approvers settle what waits for them: approve or reject a REQUIRE_HUMAN proposal, veto a
 * HELD_FOR_VETO one before its deadline. The ledger decides whether the verdict may still be
 * recorded (a veto after the deadline, a second verdict: 409), so two approvers, or an
 * approver and the deadline, can never both win.
 */
@Controller('api/kernel/proposals')
@UseGuards(ApiKeyGuard)
@RequireRoles('approver')
export class ApprovalsController {
  constructor(
    private readonly proposals: ProposalReadModel,
    private readonly rpc: RpcClient,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    @Inject(SETTINGS) private readonly settings: GatewaySettings,
  ) {}

  @Post(':proposalId/approve')
  @HttpCode(200)
  approve(@Req() request: AuthenticatedRequest, @Param('proposalId') proposalId: string, @Body() body: ProposalVerdictDto): Promise<VerdictView> {
    return this.record(request, proposalId, 'approve', body.reason ?? '');
  }

  @Post(':proposalId/reject')
  @HttpCode(200)
  reject(@Req() request: AuthenticatedRequest, @Param('proposalId') proposalId: string, @Body() body: ProposalVerdictDto): Promise<VerdictView> {
    return this.record(request, proposalId, 'reject', body.reason ?? '');
  }

  @Post(':proposalId/veto')
  @HttpCode(200)
  veto(@Req() request: AuthenticatedRequest, @Param('proposalId') proposalId: string, @Body() body: ProposalVerdictDto): Promise<VerdictView> {
    return this.record(request, proposalId, 'veto', body.reason ?? '');
  }

  /**
   * The proposal from the read model, waiting a moment for one whose decision was only just
   * recorded: an approver acting on a proposal seconds old must not get a 404 because the
   * projection is a few milliseconds behind the ledger.
   */
  private async projected(tenantId: string, proposalId: string): Promise<ProposalRow | undefined> {
    const deadline = Date.now() + PROJECTION_GRACE_MS;
    for (;;) {
      const row = await this.proposals.find(tenantId, proposalId);
      if (row || Date.now() >= deadline) return row;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async record(request: AuthenticatedRequest, proposalId: string, verdict: keyof typeof VERDICTS, reason: string): Promise<VerdictView> {
    const { tenantId, keyId } = request.principal;
    // The read model answers within the tenant only: another tenant's proposal is as unknown as a made-up id.
    const row = await this.projected(tenantId, proposalId);
    if (!row) throw new ProblemException(problem(404, `No proposal ${proposalId}`));
    const { type, suffix } = VERDICTS[verdict];
    const data = { proposalId, by: { kind: 'key' as const, id: keyId }, reason };
    let reply: AppendReply;
    try {
      reply = await this.rpc.request<AppendRequest, AppendReply>(
        this.topology.appendSubject,
        // One verdict per proposal: a retried request finds the same event id and gets the first answer.
        { tenantId, eventId: `${proposalId}.${suffix}`, type, recordedAt: new Date().toISOString(), data },
        this.settings.APPEND_TIMEOUT_MS,
      );
    } catch (error) {
      if (error instanceof RpcError && error.code === 'CONFLICT') throw new ProblemException(problem(409, `Cannot ${verdict} ${proposalId}: ${error.message}`, { lifecycle: row.lifecycle }));
      throw new ProblemException(problem(503, `The verdict could not be recorded in the ledger: ${(error as Error).message}`));
    }
    const after = evolveProposal({ proposalId, lifecycle: row.lifecycle, vetoDeadline: row.vetoDeadline }, { type, data });
    return { proposalId, lifecycle: after?.lifecycle ?? row.lifecycle, event: { type, height: reply.height, hash: reply.hash } };
  }
}
