import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import {
  ExecuteRequestDto,
  ExecutionReportDto,
  type ExecuteRequest,
  type ExecutionReply,
  type ExecutionRequest,
  type ExecutionView,
  type ReportRequest,
  type RpcFailure,
  type Topology,
} from '@halm/contracts';
import { executionIdOf, executionViewOf } from '@halm/domain';
import { RpcClient, RpcError, TOPOLOGY } from '@halm/messaging';
import { LOGGER, problem, ProblemException, SETTINGS } from '@halm/platform';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { ApiKeyGuard, RequireRoles, type AuthenticatedRequest } from './api-key.guard';
import type { GatewaySettings } from './gateway.settings';

/** How each refusal of the executor or the ledger reaches the agent. */
const STATUS_OF: Record<RpcFailure['code'], number> = {
  TOKEN_INVALID: 403,
  TOKEN_EXPIRED: 403,
  TOKEN_WRONG_TENANT: 403,
  TOKEN_WRONG_ACTION: 403,
  TOKEN_ALREADY_USED: 409,
  NOT_EXECUTABLE: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  LOCKDOWN_ACTIVE: 423,
  CONFLICT: 409,
  NOT_FOUND: 404,
  BAD_REQUEST: 400,
  UNAVAILABLE: 503,
  INTERNAL: 503,
};

// Execution ids are `exe_` and 32 hex digits; anything else is answered like an unknown id, without a lookup.
const EXECUTION_ID_PATTERN = /^exe_[0-9a-f]{32}$/;

/**
 * The execution gate's HTTP face. The gateway authenticates the agent and hands the request
 * to an executor; the token, the lockdown state and the once-only rule are the executor's
 * and the ledger's to enforce. Every answer is built from ledger events, so a retry with the
 * same idempotency key gets the same body.
 */
@Controller('api/kernel')
@UseGuards(ApiKeyGuard)
export class ExecutionsController {
  constructor(
    private readonly rpc: RpcClient,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    @Inject(SETTINGS) private readonly settings: GatewaySettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post('execute')
  @HttpCode(200)
  @RequireRoles('agent')
  async execute(@Req() request: AuthenticatedRequest, @Res({ passthrough: true }) reply: FastifyReply, @Body() body: ExecuteRequestDto): Promise<ExecutionView> {
    const { tenantId, keyId } = request.principal;
    const execute: ExecuteRequest = {
      tenantId,
      executionToken: body.executionToken,
      idempotencyKey: body.idempotencyKey,
      action: { type: body.action.type, payload: body.action.payload },
      requestedBy: { kind: 'key', id: keyId },
    };
    const view = await this.call<ExecuteRequest, ExecutionView>(this.topology.executeSubject, execute, this.settings.EXECUTE_TIMEOUT_MS);
    if (view.status === 'IN_PROGRESS') reply.status(202);
    return view;
  }

  @Post('executions/:executionId/report')
  @HttpCode(200)
  @RequireRoles('agent')
  report(@Req() request: AuthenticatedRequest, @Param('executionId') executionId: string, @Body() body: ExecutionReportDto): Promise<ExecutionView> {
    if (!EXECUTION_ID_PATTERN.test(executionId)) throw notFound(executionId);
    const { tenantId, keyId } = request.principal;
    const report: ReportRequest = { tenantId, executionId, outcome: body.outcome, detail: body.detail ?? {}, reportedBy: { kind: 'key', id: keyId } };
    return this.call<ReportRequest, ExecutionView>(this.topology.reportSubject, report, this.settings.APPEND_TIMEOUT_MS * 2);
  }

  /** An execution as the ledger holds it, by id; `?idempotencyKey=` is not needed: the id follows from the key. */
  @Get('executions/:executionId')
  @RequireRoles('agent', 'approver', 'admin', 'auditor')
  async find(@Req() request: AuthenticatedRequest, @Param('executionId') executionId: string): Promise<ExecutionView> {
    if (!EXECUTION_ID_PATTERN.test(executionId)) throw notFound(executionId);
    const recorded = await this.call<ExecutionRequest, ExecutionReply>(
      this.topology.executionSubject,
      { tenantId: request.principal.tenantId, executionId },
      this.settings.APPEND_TIMEOUT_MS,
    );
    if (!recorded.started) throw notFound(executionId);
    return executionViewOf(recorded.started, recorded.completed);
  }

  /** The execution a key names, for agents that kept the key rather than the id. */
  @Get('executions')
  @RequireRoles('agent', 'approver', 'admin', 'auditor')
  byKey(@Req() request: AuthenticatedRequest, @Query('idempotencyKey') key: unknown): Promise<ExecutionView> {
    if (typeof key !== 'string' || key.length === 0) {
      throw new ProblemException(problem(400, 'Invalid request: idempotencyKey is required', { invalidParams: [{ name: 'idempotencyKey', reason: 'is required' }] }));
    }
    return this.find(request, executionIdOf(request.principal.tenantId, key));
  }

  private async call<TRequest, TReply>(subject: string, body: TRequest, timeoutMs: number): Promise<TReply> {
    try {
      return await this.rpc.request<TRequest, TReply>(subject, body, timeoutMs);
    } catch (error) {
      if (!(error instanceof RpcError)) throw error;
      const status = STATUS_OF[error.code] ?? 503;
      if (status >= 500) this.logger.error({ err: error, subject }, 'execution request failed');
      // Nothing is executed when the gate cannot answer: the problem says so, and a retry with the same key is safe.
      throw new ProblemException(problem(status, error.message, { type: `/problems/${error.code.toLowerCase().replace(/_/g, '-')}`, code: error.code }));
    }
  }
}

const notFound = (executionId: string) => new ProblemException(problem(404, 'No such execution', { executionId: executionId.slice(0, 64) }));
