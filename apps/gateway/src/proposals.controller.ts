import { Controller, Get, Param, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { DecisionStatus, ProposalContext } from '@halm/contracts';
import { EXECUTABLE_LIFECYCLES, type ProposalHistoryEntry, type ProposalLifecycle, type ProposalRow } from '@halm/domain';
import { ProposalReadModel } from '@halm/persistence';
import { problem, ProblemException, validationProblem } from '@halm/platform';
import type { FastifyReply } from 'fastify';
import { ApiKeyGuard, RequireRoles, type AuthenticatedRequest } from './api-key.guard';
import { ExecutionTokenIssuer } from './execution-token.issuer';
import { ProposalUpdates } from './proposal-updates';
import { CURSOR_MESSAGE, cursorOf, DEFAULT_PAGE_SIZE, GetProposalQuery, ListProposalsQuery, parseCursor } from './proposals.query';

/** A proposal as the read API answers it: the authorize answer's fields, where it stands now, and how it got there. */
export interface ProposalView {
  proposalId: string;
  type: string;
  status: DecisionStatus;
  lifecycle: ProposalLifecycle;
  /** True only while the action may execute: allowed outright, approved, or its veto window elapsed. */
  allowed: boolean;
  reasons: string[];
  constraints: Record<string, unknown>;
  vetoDeadline: string | null;
  humanApprovalRequired: boolean;
  decidedAt: string;
  updatedAt: string;
  payload: Record<string, unknown>;
  context: ProposalContext;
  history: ProposalHistoryEntry[];
  /**
   * For agent keys, while the proposal may execute and has not: a fresh single-use token
   * bound to the event that made it executable (the decision, the approval or the elapsed
   * veto window). This is how an agent gets its token after a human approved.
   */
  executionToken?: string;
}

export const viewOf = (row: ProposalRow): ProposalView => ({
  proposalId: row.proposalId,
  type: row.type,
  status: row.status,
  lifecycle: row.lifecycle,
  allowed: EXECUTABLE_LIFECYCLES.includes(row.lifecycle),
  reasons: row.decision.reasons ?? [],
  constraints: row.decision.constraints ?? {},
  vetoDeadline: row.vetoDeadline,
  humanApprovalRequired: row.decision.humanApprovalRequired ?? row.status === 'REQUIRE_HUMAN',
  decidedAt: row.decidedAt,
  updatedAt: row.updatedAt,
  payload: row.proposal.payload ?? {},
  context: row.proposal.context ?? {},
  history: row.history,
});

/** The events after which a proposal may execute; tokens name the latest of them. */
const EXECUTABLE_EVENTS = new Set(['DecisionRecorded', 'ProposalApproved', 'VetoWindowElapsed']);

// Proposal ids are `prop_` and hex; anything far from that is answered like an unknown id, without a lookup.
const PROPOSAL_ID_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/** The proposals read model (the ledger's projection), within the key's tenant only. */
@Controller('api/kernel/proposals')
@UseGuards(ApiKeyGuard)
export class ProposalsController {
  constructor(
    private readonly proposals: ProposalReadModel,
    private readonly updates: ProposalUpdates,
    private readonly tokens: ExecutionTokenIssuer,
  ) {}

  @Get()
  @RequireRoles('approver', 'admin', 'auditor')
  async list(@Req() request: AuthenticatedRequest, @Query() query: ListProposalsQuery): Promise<{ proposals: ProposalView[]; next: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const before = query.before === undefined ? undefined : parseCursor(query.before);
    if (query.before !== undefined && !before) throw validationProblem([{ name: 'before', reason: CURSOR_MESSAGE.replace(/^before /, '') }]);
    // One more than the page: whether a next page exists, without counting.
    const rows = await this.proposals.list(request.principal.tenantId, {
      limit: limit + 1,
      ...(query.lifecycle ? { lifecycles: query.lifecycle } : {}),
      ...(before ? { before } : {}),
    });
    const page = rows.slice(0, limit);
    return { proposals: page.map(viewOf), next: rows.length > limit ? cursorOf(page.at(-1)!) : null };
  }

  @Get(':proposalId')
  @RequireRoles('agent', 'approver', 'admin', 'auditor')
  async get(
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Param('proposalId') proposalId: string,
    @Query() query: GetProposalQuery,
  ): Promise<ProposalView> {
    // Another tenant's proposal answers exactly like one that does not exist.
    const notFound = () => new ProblemException(problem(404, 'No such proposal', { proposalId: proposalId.slice(0, 128) }));
    if (!PROPOSAL_ID_PATTERN.test(proposalId)) throw notFound();
    const tenantId = request.principal.tenantId;
    const read = () => this.proposals.find(tenantId, proposalId);
    let row: ProposalRow | undefined;
    if (query.waitMs) {
      // A client that hangs up ends its wait at once.
      const hungUp = new AbortController();
      const onClose = () => hungUp.abort();
      reply.raw.once('close', onClose);
      try {
        row = await this.updates.waitFor(tenantId, proposalId, query.waitMs, read, hungUp.signal);
      } finally {
        reply.raw.off('close', onClose);
      }
    } else {
      row = await read();
    }
    if (!row) throw notFound();
    const view = viewOf(row);
    const token = request.principal.roles.includes('agent') ? this.tokenFor(row) : undefined;
    return token ? { ...view, executionToken: token } : view;
  }

  private tokenFor(row: ProposalRow): string | undefined {
    // The kernel carries out policy updates itself; an executor never runs them.
    if (!EXECUTABLE_LIFECYCLES.includes(row.lifecycle) || row.type === 'policy:update') return undefined;
    if (row.history.some((entry) => entry.type === 'ExecutionStarted')) return undefined;
    const executable = row.history.findLast((entry) => EXECUTABLE_EVENTS.has(entry.type));
    return executable?.hash ? this.tokens.issue(row.proposal, executable.hash, new Date()) : undefined;
  }
}
