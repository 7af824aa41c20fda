import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { isValidLedgerEventType, TENANT_ID_PATTERN, type AppendReply, type AppendRequest } from '@halm/contracts';
import { chain } from '@halm/domain';
import { AppendBusyError, LedgerStore, RpcError, StaleHeadError, type StoredHead } from '@halm/messaging';
import { LOGGER, Metrics } from '@halm/platform';
import type { Logger } from 'pino';

// Enough for a burst of other writers on the same tenant; each retry re-reads the head.
const MAX_ATTEMPTS = 20;

/**
 * The only writer of ledger subjects. Appends are serialised per tenant inside an instance
 * and guarded across instances by JetStream's expected-last-subject-sequence check: a
 * writer that lost the race re-reads the head and chains again, so the chain never forks.
 */
@Controller()
export class AppendEventHandler {
  private readonly heads = new Map<string, StoredHead>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: LedgerStore,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @MessagePattern('ledger.req.append')
  append(request: AppendRequest): Promise<AppendReply> {
    validate(request);
    const previous = this.queues.get(request.tenantId) ?? Promise.resolve();
    const next = previous.then(
      () => this.appendNow(request),
      () => this.appendNow(request),
    );
    this.queues.set(request.tenantId, next);
    void next.finally(() => {
      if (this.queues.get(request.tenantId) === next) this.queues.delete(request.tenantId);
    }).catch(() => undefined);
    return next;
  }

  private async appendNow(request: AppendRequest): Promise<AppendReply> {
    const messageId = `${request.tenantId}:${request.eventId}`;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const head = this.heads.get(request.tenantId) ?? (await this.store.head(request.tenantId));
      const event = chain(head, { tenantId: request.tenantId, eventId: request.eventId, type: request.type, recordedAt: request.recordedAt, data: request.data });
      try {
        const ack = await this.store.append(event, head.sequence, messageId);
        if (ack.duplicate) {
          // Appended before (a retry): answer with the copy that is in the ledger, not the one just built.
          this.heads.delete(request.tenantId);
          const stored = await this.store.eventAt(ack.sequence);
          this.metrics.ledgerAppends.inc({ outcome: 'duplicate' });
          return { height: stored.height, hash: stored.hash, prevHash: stored.prevHash, sequence: ack.sequence, duplicate: true };
        }
        this.heads.set(request.tenantId, { height: event.height, hash: event.hash, sequence: ack.sequence });
        this.metrics.ledgerAppends.inc({ outcome: 'appended' });
        return { height: event.height, hash: event.hash, prevHash: event.prevHash, sequence: ack.sequence, duplicate: false };
      } catch (error) {
        this.heads.delete(request.tenantId);
        if (error instanceof StaleHeadError) {
          this.metrics.ledgerAppends.inc({ outcome: 'conflict_retried' });
          continue;
        }
        if (error instanceof AppendBusyError) {
          this.metrics.ledgerAppends.inc({ outcome: 'busy_retried' });
          await new Promise((resolve) => setTimeout(resolve, Math.min(200, 5 * 2 ** attempt)));
          continue;
        }
        this.metrics.ledgerAppends.inc({ outcome: 'failed' });
        throw new RpcError('UNAVAILABLE', `ledger append failed: ${(error as Error).message}`);
      }
    }
    this.metrics.ledgerAppends.inc({ outcome: 'failed' });
    throw new RpcError('CONFLICT', `ledger of ${request.tenantId} kept moving; gave up after ${MAX_ATTEMPTS} attempts`);
  }
}

const validate = (request: AppendRequest): void => {
  if (typeof request?.tenantId !== 'string' || !TENANT_ID_PATTERN.test(request.tenantId)) throw new RpcError('BAD_REQUEST', 'tenantId is missing or not a valid tenant id');
  if (typeof request.eventId !== 'string' || request.eventId.length === 0 || request.eventId.length > 200) throw new RpcError('BAD_REQUEST', 'eventId must be a non-empty string');
  if (!isValidLedgerEventType(request.type)) throw new RpcError('BAD_REQUEST', `type ${String(request.type)} is not a ledger event type`);
  if (typeof request.recordedAt !== 'string' || Number.isNaN(Date.parse(request.recordedAt))) throw new RpcError('BAD_REQUEST', 'recordedAt must be an ISO 8601 time');
};
