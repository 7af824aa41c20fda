import { Inject, Injectable } from '@nestjs/common';
import {
  payloadProblems,
  type AppendReply,
  type AppendRequest,
  type AuthorizeRequestDto,
  type AuthorizeResponse,
  type Decision,
  type EvaluateReply,
  type EvaluateRequest,
  type Proposal,
  type Topology,
} from '@halm/contracts';
import { compileManifest } from '@halm/domain';
import { RpcClient, RpcError, TOPOLOGY } from '@halm/messaging';
import type { Principal } from '@halm/persistence';
import { LOGGER, Metrics, problem, ProblemException, SETTINGS, validationProblem } from '@halm/platform';
import type { Logger } from 'pino';
import { ExecutionTokenIssuer } from './execution-token.issuer';
import type { GatewaySettings } from './gateway.settings';
import { randomHex } from './random-hex';

export const newProposalId = (): string => `prop_${randomHex(12)}`;

// A budget crossing a level under a burst of concurrent decisions can send one request back a few times.
const MAX_DECISION_ATTEMPTS = 8;

/**
 * A manifest to publish is compiled here, so a bad one is refused with the path of each bad
 * field, and recorded in its normalized form with the hash the kernel will publish it under.
 */
const normalizePolicyUpdate = (payload: Record<string, unknown>): Record<string, unknown> => {
  if (payload['operation'] !== 'publish') return { operation: payload['operation'], version: payload['version'], hash: payload['hash'] };
  const compilation = compileManifest(payload['manifest'] as object);
  if (!compilation.ok) {
    throw validationProblem(
      compilation.errors.map((error) => ({
        name: `payload.manifest${error.path.replace(/\//g, '.').replace(/^\.$/, '')}`,
        reason: error.line !== undefined ? `${error.message} (line ${error.line}, column ${error.column})` : error.message,
      })),
    );
  }
  return { operation: 'publish', manifest: compilation.manifest.document, hash: compilation.manifest.hash };
};

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
    private readonly tokens: ExecutionTokenIssuer,
  ) {}

  async handle(principal: Principal, request: AuthorizeRequestDto, now: Date): Promise<AuthorizeResponse> {
    const problems = payloadProblems(request.type, request.payload);
    if (problems.length > 0) throw validationProblem(problems);
    const proposal: Proposal = {
      proposalId: newProposalId(),
      tenantId: principal.tenantId,
      type: request.type,
      payload: request.type === 'policy:update' ? normalizePolicyUpdate(request.payload) : request.payload,
      ...(request.justification !== undefined ? { justification: request.justification } : {}),
      context: {
        ...(request.context?.confidenceScore !== undefined ? { confidenceScore: request.context.confidenceScore } : {}),
        ...(request.context?.sessionId !== undefined ? { sessionId: request.context.sessionId } : {}),
        ...(request.context?.agentId !== undefined ? { agentId: request.context.agentId } : {}),
      },
      submittedAt: now.toISOString(),
    };

    const { decision, recorded } = await this.decideAndRecord(proposal);
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
      ...(decision.allowed ? { executionToken: this.tokens.issue(proposal, recorded.hash, now) } : {}),
    };
  }

  /**
   * The ledger refuses a decision whose reading of the tenant went stale before it was
   * recorded (a budget moved, another policy version came into force): decide again on
   * the fresh state, a few times, then give up closed.
   */
  private async decideAndRecord(proposal: Proposal): Promise<{ decision: Decision; recorded: AppendReply }> {
    for (let attempt = 1; ; attempt += 1) {
      const { decision } = await this.call<EvaluateRequest, EvaluateReply>(
        this.topology.evaluateSubject,
        // After a refusal the evaluator must not decide on the same stale reading again.
        { proposal, ...(attempt > 1 ? { fresh: true } : {}) },
        this.settings.EVALUATE_TIMEOUT_MS,
        'No decision could be taken',
      );
      try {
        const recorded = await this.call<AppendRequest, AppendReply>(
          this.topology.appendSubject,
          { tenantId: proposal.tenantId, eventId: `${proposal.proposalId}.decision`, type: 'DecisionRecorded', recordedAt: decision.decidedAt, data: { proposal, decision } },
          this.settings.APPEND_TIMEOUT_MS,
          'The decision could not be recorded in the ledger',
          attempt < MAX_DECISION_ATTEMPTS,
        );
        return { decision, recorded };
      } catch (error) {
        if (error instanceof RpcError && error.code === 'CONFLICT') continue;
        throw error;
      }
    }
  }

  private async call<TRequest, TReply>(subject: string, body: TRequest, timeoutMs: number, failure: string, passConflicts = false): Promise<TReply> {
    try {
      return await this.rpc.request<TRequest, TReply>(subject, body, timeoutMs);
    } catch (error) {
      if (passConflicts && error instanceof RpcError && error.code === 'CONFLICT') throw error;
      const reason = error instanceof RpcError ? error.message : String(error);
      this.logger.error({ err: error, subject }, failure);
      // The body still answers `allowed: false` with reasons, so a client that only reads those fails closed too.
      throw new ProblemException(
        problem(503, `${failure}; nothing may proceed (fail closed)`, { allowed: false, reasons: [`${failure}: ${reason}`] }),
      );
    }
  }
}
