import { Inject, Injectable } from '@nestjs/common';
import {
  EXECUTION_OUTCOMES,
  isValidLedgerEventType,
  TENANT_ID_PATTERN,
  type AppendReply,
  type AppendRequest,
  type ExecutionReply,
  type ExecutionRequest,
  type LedgerEvent,
  type PoliciesReply,
  type PoliciesRequest,
  type TenantStateReply,
  type TenantStateRequest,
} from '@halm/contracts';
import { chainWithText, DEFAULT_MANIFEST, parseDuration, TenantLedger, type EventDraft } from '@halm/domain';
import { AppendBusyError, LedgerStore, RpcError, StaleHeadError, type StoredHead } from '@halm/messaging';
import { LOGGER, Metrics } from '@halm/platform';
import type { Logger } from 'pino';

// Enough for a burst of other writers on the same tenant; each retry catches up first.
const MAX_ATTEMPTS = 20;

/** What this instance knows of a tenant: where its chain ends, and the fold of its events. */
interface KnownTenant {
  tenantId: string;
  head: StoredHead;
  state: TenantLedger;
  /** The latest events by id, so that a retried request gets its first answer even after the state moved on. */
  recent: Map<string, AppendReply>;
  /** Where each execution's events are in the stream, so they can be read back whole. */
  executions: Map<string, { started: number; completed?: number }>;
}

// Retries come within seconds; this many of a tenant's latest events answer them.
const RECENT_EVENTS = 10_000;

/**
 * The only writer of ledger subjects, and the guard of each tenant's history. Appends are
 * serialised per tenant inside an instance and across instances by JetStream's
 * expected-last-subject-sequence check; an instance that lost the race catches up on the
 * events it missed and tries again, so the chain never forks. Before an event is chained
 * it must be a legal next step of the tenant's history (`TenantLedger.check`): approve only
 * what waits for approval, veto only before the deadline and the window's end only after it,
 * a decision only on the policy in force and within its budgets. After it, the kernel records
 * what it owes: the default policy before a tenant's first decision, and the effect of every
 * policy:update proposal that may now execute.
 */
@Injectable()
export class LedgerWriter {
  private readonly tenants = new Map<string, KnownTenant>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly loading = new Map<string, Promise<KnownTenant>>();

  constructor(
    private readonly store: LedgerStore,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  append(request: AppendRequest): Promise<AppendReply> {
    validate(request);
    return this.serialized(request.tenantId, () => this.appendNow(request));
  }

  /** Runs `work` after everything queued for the tenant: its state is changed by one task at a time. */
  private serialized<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(tenantId) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.queues.set(tenantId, next);
    void next
      .finally(() => {
        if (this.queues.get(tenantId) === next) this.queues.delete(tenantId);
      })
      .catch(() => undefined);
    return next;
  }

  /** The state a decision reads: the policy in force and the usage of its budgets for this proposal's scope. */
  async tenantState(request: TenantStateRequest): Promise<TenantStateReply> {
    if (typeof request?.tenantId !== 'string' || !TENANT_ID_PATTERN.test(request.tenantId)) throw new RpcError('BAD_REQUEST', 'tenantId is missing or not a valid tenant id');
    const at = new Date(request.at);
    if (Number.isNaN(at.getTime())) throw new RpcError('BAD_REQUEST', 'at must be an ISO 8601 time');
    const tenant = await this.tenant(request.tenantId);
    const active = tenant.state.activePolicy();
    const budgets: Record<string, { used: number }> = {};
    for (const budget of active?.manifest.budgets ?? []) {
      const scopeKey = budget.scope === 'tenant' ? request.tenantId : ((budget.scope === 'agent' ? request.agentId : request.sessionId) ?? 'unknown');
      budgets[budget.id] = { used: tenant.state.usage(budget.id, scopeKey, parseDuration(budget.window) ?? 0, at) };
    }
    return {
      policy: active && { version: active.version, hash: active.hash, ...(request.knownHash === active.hash ? {} : { manifest: active.manifest }) },
      budgets,
    };
  }

  /** The tenant's policy versions, from its history in this instance's memory. */
  async policies(request: PoliciesRequest): Promise<PoliciesReply> {
    if (typeof request?.tenantId !== 'string' || !TENANT_ID_PATTERN.test(request.tenantId)) throw new RpcError('BAD_REQUEST', 'tenantId is missing or not a valid tenant id');
    // Another instance may have recorded a policy change this one has not seen yet.
    const tenant = await this.serialized(request.tenantId, async () => {
      const known = await this.tenant(request.tenantId);
      await this.catchUp(known);
      return known;
    });
    const active = tenant.state.activePolicy();
    const reply: PoliciesReply = {
      activeVersion: active?.version ?? null,
      previousVersion: tenant.state.activationHistory().at(-1)?.previousVersion ?? null,
      versions: tenant.state.publishedVersions().map((record) => ({
        version: record.version,
        hash: record.hash,
        description: record.manifest.description ?? null,
        publishedAt: record.publishedAt,
        active: record.version === active?.version,
      })),
    };
    if (request.version !== undefined) reply.manifest = tenant.state.policyVersion(request.version)?.manifest ?? null;
    return reply;
  }

  /**
   * An execution's events, read after catching up with other instances: an executor that lost
   * the race to start an execution answers its caller from what the winner recorded.
   */
  async execution(request: ExecutionRequest): Promise<ExecutionReply> {
    if (typeof request?.tenantId !== 'string' || !TENANT_ID_PATTERN.test(request.tenantId)) throw new RpcError('BAD_REQUEST', 'tenantId is missing or not a valid tenant id');
    if (typeof request.executionId !== 'string' || request.executionId.length === 0) throw new RpcError('BAD_REQUEST', 'executionId must be a non-empty string');
    const tenant = await this.serialized(request.tenantId, async () => {
      const known = await this.tenant(request.tenantId);
      await this.catchUp(known);
      return known;
    });
    const positions = tenant.executions.get(request.executionId);
    if (!positions) return { started: null, completed: null };
    const [started, completed] = await Promise.all([
      this.store.eventAt(positions.started),
      positions.completed === undefined ? Promise.resolve(null) : this.store.eventAt(positions.completed),
    ]);
    return { started, completed };
  }

  private async appendNow(request: AppendRequest): Promise<AppendReply> {
    const tenant = await this.tenant(request.tenantId);
    const draft: EventDraft = { tenantId: request.tenantId, eventId: request.eventId, type: request.type, recordedAt: request.recordedAt, data: request.data };
    if (draft.type === 'DecisionRecorded') await this.appendOwed(tenant, draft, () => tenant.state.genesisEffects(DEFAULT_MANIFEST.document)[0]);
    const reply = await this.appendChecked(tenant, draft);
    try {
      await this.appendOwed(tenant, draft, () => tenant.state.owedEffects()[0]);
    } catch (error) {
      // The event asked for is recorded; an effect still owed is appended with the tenant's next event.
      this.logger.error({ err: error, tenantId: draft.tenantId }, 'could not record an owed policy effect yet');
    }
    return reply;
  }

  /**
   * Appends what the kernel owes, one event at a time, asking again after each: another
   * instance may have recorded some of it already, in which case catching up settles it.
   */
  private async appendOwed(tenant: KnownTenant, cause: EventDraft, next: () => Pick<EventDraft, 'eventId' | 'type' | 'data'> | undefined): Promise<void> {
    for (let effect = next(); effect; effect = next()) {
      try {
        await this.appendChecked(tenant, { ...cause, ...effect });
      } catch (error) {
        if (!(error instanceof RpcError && error.code === 'CONFLICT')) throw error;
        await this.catchUp(tenant);
        if (next()?.eventId === effect.eventId) throw error;
      }
    }
  }

  private async appendChecked(tenant: KnownTenant, draft: EventDraft): Promise<AppendReply> {
    const messageId = `${draft.tenantId}:${draft.eventId}`;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const earlier = tenant.recent.get(draft.eventId);
      if (earlier) {
        this.metrics.ledgerAppends.inc({ outcome: 'duplicate' });
        return { ...earlier, duplicate: true };
      }
      const check = tenant.state.check(draft);
      if (!check.ok) {
        this.metrics.ledgerAppends.inc({ outcome: 'refused' });
        throw new RpcError(check.code ?? 'CONFLICT', check.reason);
      }
      const { event, text } = chainWithText(tenant.head, draft);
      try {
        const ack = await this.store.append(event, tenant.head.sequence, messageId, text);
        if (ack.duplicate) {
          // Appended before (a retry): answer with the copy that is in the ledger, not the one just built.
          await this.catchUp(tenant);
          const stored = await this.store.eventAt(ack.sequence);
          this.metrics.ledgerAppends.inc({ outcome: 'duplicate' });
          return { height: stored.height, hash: stored.hash, prevHash: stored.prevHash, sequence: ack.sequence, duplicate: true };
        }
        this.apply(tenant, event, ack.sequence);
        this.metrics.ledgerAppends.inc({ outcome: 'appended' });
        return { height: event.height, hash: event.hash, prevHash: event.prevHash, sequence: ack.sequence, duplicate: false };
      } catch (error) {
        if (error instanceof StaleHeadError) {
          this.metrics.ledgerAppends.inc({ outcome: 'conflict_retried' });
          await this.catchUp(tenant);
          continue;
        }
        if (error instanceof AppendBusyError) {
          this.metrics.ledgerAppends.inc({ outcome: 'busy_retried' });
          await new Promise((resolve) => setTimeout(resolve, Math.min(200, 5 * 2 ** attempt)));
          await this.catchUp(tenant);
          continue;
        }
        this.metrics.ledgerAppends.inc({ outcome: 'failed' });
        // What was appended is unknown: the next append for this tenant starts from the stream.
        this.tenants.delete(draft.tenantId);
        throw new RpcError('UNAVAILABLE', `ledger append failed: ${(error as Error).message}`);
      }
    }
    this.metrics.ledgerAppends.inc({ outcome: 'failed' });
    throw new RpcError('CONFLICT', `ledger of ${draft.tenantId} kept moving; gave up after ${MAX_ATTEMPTS} attempts`);
  }

  /**
   * The tenant as this instance knows it; the first time, folded from its whole history
   * (the cost of a cold start grows with that history, once per tenant and instance).
   */
  private tenant(tenantId: string): Promise<KnownTenant> {
    const known = this.tenants.get(tenantId);
    if (known) return Promise.resolve(known);
    // One fold per tenant even when several requests for it arrive before it is done.
    let loading = this.loading.get(tenantId);
    if (!loading) {
      const tenant: KnownTenant = {
        tenantId,
        head: { height: 0, hash: '0'.repeat(64), sequence: 0 },
        state: new TenantLedger(tenantId),
        recent: new Map(),
        executions: new Map(),
      };
      loading = this.catchUp(tenant)
        .then(() => {
          this.tenants.set(tenantId, tenant);
          return tenant;
        })
        .finally(() => this.loading.delete(tenantId));
      this.loading.set(tenantId, loading);
    }
    return loading;
  }

  private async catchUp(tenant: KnownTenant): Promise<void> {
    const missed = await this.store.readAfter(tenant.tenantId, tenant.head.sequence);
    for (const { event, sequence } of missed) this.apply(tenant, event, sequence);
    if (missed.length > 0) this.logger.debug({ tenantId: tenant.tenantId, events: missed.length }, 'caught up with events appended elsewhere');
  }

  private apply(tenant: KnownTenant, event: LedgerEvent, sequence: number): void {
    tenant.head = { height: event.height, hash: event.hash, sequence };
    tenant.state.apply(event);
    if (event.type === 'ExecutionStarted') tenant.executions.set((event.data as { executionId: string }).executionId, { started: sequence });
    if (event.type === 'ExecutionCompleted') {
      const positions = tenant.executions.get((event.data as { executionId: string }).executionId);
      if (positions) positions.completed = sequence;
    }
    tenant.recent.set(event.eventId, { height: event.height, hash: event.hash, prevHash: event.prevHash, sequence, duplicate: false });
    if (tenant.recent.size > RECENT_EVENTS) tenant.recent.delete(tenant.recent.keys().next().value as string);
  }
}

const EXECUTION_STARTED_FIELDS = ['executionId', 'proposalId', 'idempotencyKey', 'actionType', 'actionDigest', 'decisionHash', 'tokenId', 'performer', 'executorId'];
const EXECUTION_COMPLETED_FIELDS = ['executionId', 'proposalId', 'decisionHash', 'outcome'];

const validate = (request: AppendRequest): void => {
  if (typeof request?.tenantId !== 'string' || !TENANT_ID_PATTERN.test(request.tenantId)) throw new RpcError('BAD_REQUEST', 'tenantId is missing or not a valid tenant id');
  if (typeof request.eventId !== 'string' || request.eventId.length === 0 || request.eventId.length > 200) throw new RpcError('BAD_REQUEST', 'eventId must be a non-empty string');
  if (!isValidLedgerEventType(request.type)) throw new RpcError('BAD_REQUEST', `type ${String(request.type)} is not a ledger event type`);
  if (typeof request.recordedAt !== 'string' || Number.isNaN(Date.parse(request.recordedAt))) throw new RpcError('BAD_REQUEST', 'recordedAt must be an ISO 8601 time');
  const data = request.data as Record<string, unknown> | null;
  if (request.type === 'ExecutionStarted' || request.type === 'ExecutionCompleted') {
    const required = request.type === 'ExecutionStarted' ? EXECUTION_STARTED_FIELDS : EXECUTION_COMPLETED_FIELDS;
    const missing = required.filter((field) => typeof data?.[field] !== 'string' || (data[field] as string).length === 0);
    if (missing.length > 0) throw new RpcError('BAD_REQUEST', `an ${request.type} event needs ${missing.join(', ')}`);
    if (request.type === 'ExecutionCompleted' && !(EXECUTION_OUTCOMES as readonly unknown[]).includes(data?.['outcome'])) {
      throw new RpcError('BAD_REQUEST', `outcome must be one of ${EXECUTION_OUTCOMES.join(', ')}`);
    }
  }
  if (request.type === 'DecisionRecorded') {
    const data = request.data as { proposal?: { proposalId?: unknown }; decision?: { proposalId?: unknown; policy?: { version?: unknown } } } | null;
    if (typeof data?.proposal?.proposalId !== 'string' || data.decision?.proposalId !== data.proposal.proposalId || typeof data.decision.policy?.version !== 'number') {
      throw new RpcError('BAD_REQUEST', 'a DecisionRecorded event needs the proposal and its decision, with the policy version it used');
    }
  }
};
