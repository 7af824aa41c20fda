import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { TENANT_ID_PATTERN, type LedgerEvent, type Topology } from '@halm/contracts';
import { consumeInBatches, ensureDurableConsumer, NATS_CONNECTION, TOPOLOGY, Verdicts, type RunningConsumer, type Verdict } from '@halm/messaging';
import { ProposalProjection } from '@halm/persistence';
import { LOGGER, Metrics } from '@halm/platform';
import type { Logger } from 'pino';

/** The durable consumer every ledger instance shares for the PostgreSQL projections. */
export const PROJECTIONS_CONSUMER = 'ledger--projections';

export interface ProjectorTuning {
  maxBatch: number;
  /** An earlier event of the tenant is in flight on another instance; it usually commits within milliseconds. */
  aheadRetryMs: number;
  /** PostgreSQL refused the batch; it is tried again (by any instance) after this delay. */
  failedRetryMs: number;
  /**
   * Under a steady flow of events, a transaction starts at most this long after the one
   * before and takes everything that arrived meanwhile; an event after a quiet spell is
   * projected at once. This is also the most it delays a proposal's announcement.
   */
  gatherMs: number;
}

const DEFAULT_TUNING: ProjectorTuning = { maxBatch: 200, aheadRetryMs: 200, failedRetryMs: 1_000, gatherMs: 10 };
const ACK_WAIT_MS = 30_000;

const decodeEvent = (message: JsMsg): LedgerEvent => {
  const event = message.json<LedgerEvent>();
  if (typeof event?.tenantId !== 'string' || !TENANT_ID_PATTERN.test(event.tenantId)) throw new Error('no valid tenantId');
  if (!Number.isSafeInteger(event.height) || event.height < 1) throw new Error('no valid height');
  if (typeof event.hash !== 'string' || typeof event.type !== 'string' || typeof event.recordedAt !== 'string') throw new Error('not a ledger event');
  // PostgreSQL would refuse the whole batch, other tenants' events included, every time it came.
  if (Number.isNaN(Date.parse(event.recordedAt))) throw new Error('recordedAt is not a time');
  return event;
};

/**
 * Projects the ledger stream into PostgreSQL: a batch per transaction, messages settled only
 * after the commit, then one core-NATS notification per proposal changed, which wakes the
 * gateways' long-polls. Every ledger instance runs one; they share the durable consumer.
 */
@Injectable()
export class ProjectLedgerEventsHandler implements OnApplicationBootstrap, OnModuleDestroy {
  private running: RunningConsumer | undefined;
  private tuning = DEFAULT_TUNING;

  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    private readonly projection: ProposalProjection,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.stop();
  }

  async start(tuning: Partial<ProjectorTuning> = {}): Promise<void> {
    this.tuning = { ...DEFAULT_TUNING, ...tuning };
    await ensureDurableConsumer(await jetstreamManager(this.connection), {
      stream: this.topology.ledgerStream,
      durable: PROJECTIONS_CONSUMER,
      ackWaitMs: ACK_WAIT_MS,
    });
    this.running = await consumeInBatches({
      connection: this.connection,
      stream: this.topology.ledgerStream,
      durable: PROJECTIONS_CONSUMER,
      maxBatch: this.tuning.maxBatch,
      decode: decodeEvent,
      handle: (events) => this.project(events),
      retryDelayMs: this.tuning.failedRetryMs,
      gatherMs: this.tuning.gatherMs,
      logger: this.logger,
    });
  }

  async stop(): Promise<void> {
    await this.running?.stop();
    this.running = undefined;
  }

  async project(events: LedgerEvent[]): Promise<Verdict[]> {
    let result;
    try {
      result = await this.projection.apply(events);
    } catch (error) {
      this.metrics.projectedEvents.inc({ outcome: 'failed' }, events.length);
      throw error;
    }
    for (const change of result.changed) {
      this.connection.publish(this.topology.proposalUpdatedSubject(change.tenantId), JSON.stringify({ proposalId: change.proposalId, lifecycle: change.lifecycle }));
    }
    for (const outcome of result.outcomes) this.metrics.projectedEvents.inc({ outcome });
    return result.outcomes.map((outcome) => (outcome === 'ahead' ? Verdicts.nak(this.tuning.aheadRetryMs) : Verdicts.ack()));
  }
}
