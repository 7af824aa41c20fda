import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  type Actor,
  type AppendReply,
  type AppendRequest,
  type ExecuteRequest,
  type ExecutionCompletedData,
  type ExecutionReply,
  type ExecutionRequest,
  type ExecutionStartedData,
  type ExecutionView,
  type LedgerEvent,
  type ReportRequest,
  type RpcFailure,
  type Topology,
  type AnomalyKind,
  type AnomalySeverity,
} from '@halm/contracts';
import {
  actionDigest,
  completedEventIdOf,
  executionIdOf,
  executionViewOf,
  sha256Hex,
  startedEventIdOf,
  keyListOf,
  verifyExecutionToken,
  verifyingKeysFrom,
  type ExecutionTokenClaims,
} from '@halm/domain';
import { AnomalyReporter, LockdownState, LockdownUnknownError, NATS_CONNECTION, RpcClient, RpcError, TOPOLOGY } from '@halm/messaging';
import { LOGGER, SETTINGS } from '@halm/platform';
import type { Logger } from 'pino';
import { ConnectorAbortedError, type Connector, type ConnectorResult } from './connectors';
import { CONNECTORS, EXECUTOR_ID } from './executor.tokens';
import type { ExecutorSettings } from './executor.settings';

/** Thrown inside the gate when a recorded answer replaces the refusal that would otherwise follow. */
class AnswerInstead extends Error {
  constructor(readonly view: ExecutionView) {
    super('answered from the ledger');
  }
}

/**
 * The refusals that are anomalies. A bad signature, a token for another action or another
 * tenant, a replay and an attempt during lockdown are what an attacker or a broken agent
 * does: critical. An expired token or one for a proposal that may not execute is more often
 * a slow or confused agent: a warning, kept as evidence.
 */
const ANOMALY_OF: Partial<Record<RpcFailure['code'], { kind: AnomalyKind; severity: AnomalySeverity }>> = {
  TOKEN_INVALID: { kind: 'INVALID_EXECUTION_TOKEN', severity: 'critical' },
  TOKEN_WRONG_ACTION: { kind: 'INVALID_EXECUTION_TOKEN', severity: 'critical' },
  TOKEN_EXPIRED: { kind: 'INVALID_EXECUTION_TOKEN', severity: 'warning' },
  NOT_EXECUTABLE: { kind: 'INVALID_EXECUTION_TOKEN', severity: 'warning' },
  TOKEN_WRONG_TENANT: { kind: 'CROSS_TENANT_ACCESS', severity: 'critical' },
  TOKEN_ALREADY_USED: { kind: 'REPLAYED_EXECUTION_TOKEN', severity: 'critical' },
  LOCKDOWN_ACTIVE: { kind: 'EXECUTION_DURING_LOCKDOWN', severity: 'critical' },
};

/** The claims of a token, read without trusting them: evidence only. */
const claimsOf = (token: string): Partial<ExecutionTokenClaims> | null => {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    return claims !== null && typeof claims === 'object' ? (claims as Partial<ExecutionTokenClaims>) : null;
  } catch {
    return null;
  }
};

/**
 * The execution gate. A request is let through only with a valid token bound to this tenant
 * and this exact action; the ledger then lets exactly one ExecutionStarted per proposal and
 * per idempotency key into the tenant's chain (ids derive from the key, so duplicates on
 * any instance collide there), and refuses it during a lockdown. The instance whose start
 * was recorded performs the effect (kernel connectors) or leaves it to the agent; every
 * other request with the same key waits for that outcome and answers with it.
 */
@Injectable()
export class ExecutionGate implements OnModuleDestroy {
  private readonly verifyingKeys: Map<string, KeyObject>;
  /**
   * Executions this process may be performing right now, with how many of its requests hold
   * each (a duplicate holds it while its start is in flight): the in-doubt sweep leaves them alone.
   */
  private readonly holds = new Map<string, number>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly rpc: RpcClient,
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    @Inject(SETTINGS) private readonly settings: ExecutorSettings,
    @Inject(CONNECTORS) private readonly connectors: ReadonlyMap<string, Connector>,
    @Inject(EXECUTOR_ID) private readonly executorId: string,
    private readonly lockdown: LockdownState,
    private readonly anomalies: AnomalyReporter,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.verifyingKeys = verifyingKeysFrom(keyListOf(settings.EXECUTION_TOKEN_PUBLIC_KEYS));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping.abort();
    await this.lockdown.stop();
  }

  async execute(request: ExecuteRequest, now = new Date()): Promise<ExecutionView> {
    try {
      return await this.gate(request, now);
    } catch (error) {
      if (error instanceof AnswerInstead) return error.view;
      if (error instanceof RpcError) this.recordAnomaly(request, error);
      throw error;
    }
  }

  private async gate(request: ExecuteRequest, now: Date): Promise<ExecutionView> {
    const executionId = executionIdOf(request.tenantId, request.idempotencyKey);
    const digest = actionDigest(request.action.type, request.action.payload);
    const verification = verifyExecutionToken(request.executionToken, this.verifyingKeys, Math.floor(now.getTime() / 1000));
    if (!verification.ok) {
      // A retry after the token expired still gets the first answer: the key names a recorded execution.
      if (verification.reason === 'EXPIRED') {
        const earlier = await this.recorded(request.tenantId, executionId);
        if (earlier) return this.answerFor(earlier, digest);
      }
      throw new RpcError(verification.reason === 'EXPIRED' ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID', `execution token refused: ${verification.detail}`);
    }
    const { claims, keyId } = verification;
    if (claims.tid !== request.tenantId) throw new RpcError('TOKEN_WRONG_TENANT', 'the execution token was issued to another tenant');
    if (claims.ad !== digest) throw new RpcError('TOKEN_WRONG_ACTION', 'the action is not the one the execution token was issued for (its digest differs)');
    await this.refuseDuringLockdown(request.tenantId, executionId, digest);

    const connector = this.connectors.get(request.action.type);
    const started = await this.start(request, claims, keyId, executionId, digest, connector);
    if (!started) return this.awaitFirstAnswer(request.tenantId, executionId, digest);
    if (!connector) return executionViewOf(started, null);
    return this.perform(started, connector, request.action.payload);
  }

  /**
   * Nothing starts while a lockdown is in force, and nothing starts when the state cannot be
   * read (fail closed). The ledger refuses a start after an engage event too; this check
   * spares it the work and answers at once. A retry of an execution recorded before the
   * lockdown still gets its first answer: answering is not executing.
   */
  private async refuseDuringLockdown(tenantId: string, executionId: string, digest: string): Promise<void> {
    let reason: string;
    try {
      const status = await this.lockdown.check(tenantId);
      if (!status.active) return;
      reason = `lockdown ${status.lockdownId} (${status.scope}) is in force: ${status.reason}`;
    } catch (error) {
      if (!(error instanceof LockdownUnknownError)) throw error;
      throw new RpcError('UNAVAILABLE', `${error.message}; refusing to execute (fail closed)`);
    }
    const earlier = await this.recorded(tenantId, executionId);
    if (earlier) {
      this.answerFor(earlier, digest);
      throw new AnswerInstead(executionViewOf(earlier.started, earlier.completed));
    }
    throw new RpcError('LOCKDOWN_ACTIVE', reason);
  }

  /** Refusals that look like misuse are recorded as anomalies, with their evidence; the lockdown controller counts the critical ones. */
  private recordAnomaly(request: ExecuteRequest, error: RpcError): void {
    const anomaly = ANOMALY_OF[error.code];
    if (!anomaly) return;
    const tokenHash = sha256Hex(request.executionToken);
    const claims = claimsOf(request.executionToken);
    const evidence = {
      refusal: error.code,
      detail: error.message,
      tokenSha256: tokenHash,
      ...(claims ? { tokenId: claims.jti, tokenTenantId: claims.tid, proposalId: claims.pid, decisionHash: claims.dh } : {}),
      idempotencyKey: request.idempotencyKey,
      actionType: request.action.type,
      requestedBy: request.requestedBy,
    };
    // One anomaly per token, key and refusal: a client retrying the same refused request is not a new attack.
    const anomalyId = `exec.${sha256Hex(`${tokenHash}\u0000${request.idempotencyKey}\u0000${error.code}`).slice(0, 32)}`;
    void this.anomalies.report(request.tenantId, anomaly.kind, anomaly.severity, evidence, { kind: 'kernel', id: this.executorId }, anomalyId);
  }

  /** The agent's outcome of an execution it performed itself. */
  async report(request: ReportRequest, now = new Date()): Promise<ExecutionView> {
    const earlier = await this.recorded(request.tenantId, request.executionId);
    if (!earlier?.started) throw new RpcError('NOT_FOUND', `no execution ${request.executionId}`);
    const start = earlier.started.data as ExecutionStartedData;
    if (earlier.completed) {
      const end = earlier.completed.data as ExecutionCompletedData;
      // The same report again is a retry and gets the first answer; a different one is a conflict.
      if (end.outcome === request.outcome && end.by.id === request.reportedBy.id) return executionViewOf(earlier.started, earlier.completed);
      throw new RpcError('CONFLICT', `execution ${request.executionId} was already reported ${end.outcome}`);
    }
    if (start.performer !== 'agent') throw new RpcError('CONFLICT', `the kernel performs execution ${request.executionId} (${start.connector}); it takes no report`);
    const completed = await this.complete(request.tenantId, start, { outcome: request.outcome, result: request.detail }, request.reportedBy, now);
    return completed;
  }

  /** Whether a request of this process may be performing the execution. */
  isInFlight(executionId: string): boolean {
    return this.holds.has(executionId);
  }

  private hold(executionId: string): void {
    this.holds.set(executionId, (this.holds.get(executionId) ?? 0) + 1);
  }

  private release(executionId: string): void {
    const remaining = (this.holds.get(executionId) ?? 1) - 1;
    if (remaining > 0) this.holds.set(executionId, remaining);
    else this.holds.delete(executionId);
  }

  /** Records the start; null when another request with the same key (or this one, before) recorded it first. */
  private async start(
    request: ExecuteRequest,
    claims: ExecutionTokenClaims,
    keyId: string,
    executionId: string,
    digest: string,
    connector: Connector | undefined,
  ): Promise<LedgerEvent | null> {
    const data: ExecutionStartedData = {
      executionId,
      proposalId: claims.pid,
      idempotencyKey: request.idempotencyKey,
      actionType: request.action.type,
      actionDigest: digest,
      decisionHash: claims.dh,
      tokenId: claims.jti,
      tokenKeyId: keyId,
      performer: connector ? 'kernel' : 'agent',
      connector: connector?.name ?? null,
      executorId: this.executorId,
      requestedBy: request.requestedBy,
    };
    const append: AppendRequest = { tenantId: request.tenantId, eventId: startedEventIdOf(executionId), type: 'ExecutionStarted', recordedAt: new Date().toISOString(), data };
    if (connector) this.hold(executionId);
    let reply: AppendReply;
    try {
      reply = await this.rpc.request<AppendRequest, AppendReply>(this.topology.appendSubject, append, this.settings.APPEND_TIMEOUT_MS);
    } catch (error) {
      if (connector) this.release(executionId);
      // The key's execution exists already (its start left the ledger's recent memory): answer from it.
      if (error instanceof RpcError && error.code === 'CONFLICT' && /has started already/.test(error.message)) return null;
      throw error;
    }
    if (reply.duplicate) {
      if (connector) this.release(executionId);
      return null;
    }
    return { ...append, data, height: reply.height, hash: reply.hash, prevHash: reply.prevHash };
  }

  private async perform(started: LedgerEvent, connector: Connector, payload: Record<string, unknown>): Promise<ExecutionView> {
    const start = started.data as ExecutionStartedData;
    try {
      let outcome: ConnectorResult;
      try {
        outcome = await connector.perform(
          { tenantId: started.tenantId, proposalId: start.proposalId, executionId: start.executionId, idempotencyKey: start.idempotencyKey, payload },
          this.stopping.signal,
        );
      } catch (error) {
        // Stopping before anything was sent: nothing happened, and the ledger may say so.
        if (error instanceof ConnectorAbortedError && !error.mayHaveTakenEffect) outcome = { outcome: 'FAILED', result: { ...error.partialResult, aborted: true } };
        else {
          this.logger.error({ err: error, executionId: start.executionId }, 'connector stopped without an outcome; the execution stays in doubt');
          throw new RpcError('UNAVAILABLE', 'the executor stopped during the execution; its outcome is in doubt and it will not be performed again');
        }
      }
      return await this.complete(started.tenantId, start, outcome, { kind: 'kernel', id: this.executorId }, new Date());
    } finally {
      this.release(start.executionId);
    }
  }

  /** Records how an execution ended and wakes every request waiting for it. */
  async complete(tenantId: string, start: ExecutionStartedData, outcome: ConnectorResult | { outcome: ExecutionCompletedData['outcome']; result: Record<string, unknown> }, by: Actor, now: Date): Promise<ExecutionView> {
    const data: ExecutionCompletedData = {
      executionId: start.executionId,
      proposalId: start.proposalId,
      decisionHash: start.decisionHash,
      outcome: outcome.outcome,
      result: outcome.result,
      by,
    };
    const append: AppendRequest = { tenantId, eventId: completedEventIdOf(start.executionId), type: 'ExecutionCompleted', recordedAt: now.toISOString(), data };
    try {
      await this.rpc.request<AppendRequest, AppendReply>(this.topology.appendSubject, append, this.settings.APPEND_TIMEOUT_MS);
    } catch (error) {
      // Someone else ended it first (an in-doubt resolution, a duplicate report): the ledger's account stands.
      if (!(error instanceof RpcError && error.code === 'CONFLICT')) throw error;
    }
    this.connection.publish(this.topology.executionSettledSubject(start.executionId), JSON.stringify({ executionId: start.executionId }));
    const recorded = await this.recorded(tenantId, start.executionId);
    if (!recorded?.started) throw new RpcError('UNAVAILABLE', `execution ${start.executionId} is not readable from the ledger yet`);
    return executionViewOf(recorded.started, recorded.completed);
  }

  /**
   * A duplicate: wait until the execution that holds the key has ended (or is the agent's to
   * report), then answer what it recorded. Subscribed before reading, so an end between the
   * read and the wait is not missed.
   */
  private async awaitFirstAnswer(tenantId: string, executionId: string, digest: string): Promise<ExecutionView> {
    const settled = new Wakeup();
    const subscription = this.connection.subscribe(this.topology.executionSettledSubject(executionId), { callback: () => settled.wake() });
    try {
      const deadline = Date.now() + this.settings.EXECUTE_WAIT_MS;
      for (;;) {
        const recorded = await this.recorded(tenantId, executionId);
        if (!recorded) throw new RpcError('UNAVAILABLE', `execution ${executionId} is not readable from the ledger yet`);
        const view = this.answerFor(recorded, digest);
        const remaining = deadline - Date.now();
        if (view.status !== 'IN_PROGRESS' || remaining <= 0) return view;
        // The settled notice is a hint; the ledger is read again at least every second in case it was missed.
        await settled.wait(Math.min(remaining, 1_000));
      }
    } finally {
      subscription.unsubscribe();
    }
  }

  private answerFor(recorded: { started: LedgerEvent; completed: LedgerEvent | null }, digest: string): ExecutionView {
    const start = recorded.started.data as ExecutionStartedData;
    if (start.actionDigest !== digest) {
      throw new RpcError('IDEMPOTENCY_KEY_REUSED', `idempotency key ${start.idempotencyKey} was used for another action (execution ${start.executionId})`);
    }
    return executionViewOf(recorded.started, recorded.completed);
  }

  private async recorded(tenantId: string, executionId: string): Promise<{ started: LedgerEvent; completed: LedgerEvent | null } | null> {
    const reply = await this.rpc.request<ExecutionRequest, ExecutionReply>(this.topology.executionSubject, { tenantId, executionId }, this.settings.APPEND_TIMEOUT_MS);
    return reply.started ? { started: reply.started, completed: reply.completed } : null;
  }
}

/** Resolves a wait when woken or after a timeout; a wake with nobody waiting is kept for the next wait. */
class Wakeup {
  private woken = false;
  private resolve: (() => void) | undefined;

  wake(): void {
    this.woken = true;
    this.resolve?.();
  }

  async wait(timeoutMs: number): Promise<void> {
    if (!this.woken) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.resolve = resolve;
        timer = setTimeout(resolve, timeoutMs);
      });
      clearTimeout(timer);
      this.resolve = undefined;
    }
    this.woken = false;
  }
}
