import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type {
  AppendReply,
  AppendRequest,
  AuthorizeRequestDto,
  AuthorizeResponse,
  EvaluateReply,
  EvaluateRequest,
  Proposal,
  Topology,
} from '@halm/contracts';
import { RpcClient, RpcError, TOPOLOGY } from '@halm/messaging';
import type { Principal } from '@halm/persistence';
import { LOGGER, Metrics, problem, ProblemException, SETTINGS } from '@halm/platform';
import type { Logger } from 'pino';
import type { GatewaySettings } from './gateway.settings';

export const newProposalId = (): string => `prop_${randomBytes(12).toString('hex')}`;

/**
 * Names the proposal, asks the policy-evaluator for a decision and has the ledger record it.
 * Fails closed: without a durable ledger record there is no answer at all, so never an ALLOW.
 */
@Injectable()
export class AuthorizeActionHandler {
  constructor(
    private readonly rpc: RpcClient,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    @Inject(SETTINGS) private readonly settings: GatewaySettings,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {}

  async handle(principal: Principal, request: AuthorizeRequestDto, now: Date): Promise<AuthorizeResponse> {
    const proposal: Proposal = {
      proposalId: newProposalId(),
      tenantId: principal.tenantId,
      type: request.type,
      payload: request.payload,
      ...(request.justification !== undefined ? { justification: request.justification } : {}),
      context: {
        ...(request.context?.confidenceScore !== undefined ? { confidenceScore: request.context.confidenceScore } : {}),
        ...(request.context?.sessionId !== undefined ? { sessionId: request.context.sessionId } : {}),
        ...(request.context?.agentId !== undefined ? { agentId: request.context.agentId } : {}),
      },
      submittedAt: now.toISOString(),
    };

    const { decision } = await this.call<EvaluateRequest, EvaluateReply>(
      this.topology.evaluateSubject,
      { proposal },
      this.settings.EVALUATE_TIMEOUT_MS,
      'The policy evaluator did not answer',
    );
    await this.call<AppendRequest, AppendReply>(
      this.topology.appendSubject,
      { tenantId: principal.tenantId, eventId: `${proposal.proposalId}.decision`, type: 'DecisionRecorded', recordedAt: decision.decidedAt, data: { proposal, decision } },
      this.settings.APPEND_TIMEOUT_MS,
      'The decision could not be recorded in the ledger',
    );
    this.metrics.decisions.inc({ status: decision.status });
    this.logger.info({ proposalId: proposal.proposalId, tenantId: principal.tenantId, type: proposal.type, status: decision.status }, 'decision recorded');
    return {
      proposalId: decision.proposalId,
      status: decision.status,
      allowed: decision.allowed,
      reasons: decision.reasons,
      constraints: decision.constraints,
      vetoDeadline: decision.vetoDeadline,
      humanApprovalRequired: decision.humanApprovalRequired,
      decidedAt: decision.decidedAt,
    };
  }

  private async call<TRequest, TReply>(subject: string, body: TRequest, timeoutMs: number, failure: string): Promise<TReply> {
    try {
      return await this.rpc.request<TRequest, TReply>(subject, body, timeoutMs);
    } catch (error) {
      const reason = error instanceof RpcError ? error.message : String(error);
      this.logger.error({ err: error, subject }, failure);
      // The body still answers `allowed: false` with reasons, so a client that only reads those fails closed too.
      throw new ProblemException(
        problem(503, `${failure}; nothing may proceed (fail closed)`, { allowed: false, reasons: [`${failure}: ${reason}`] }),
      );
    }
  }
}
