import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { JetStreamApiError, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Topology } from '@halm/contracts';
import { consumeInBatches, ensureDurableConsumer, NATS_CONNECTION, TOPOLOGY, Verdicts, type RunningConsumer, type Verdict } from '@halm/messaging';
import { CheckpointProjection, wellFormedCheckpoint } from '@halm/persistence';
import { LOGGER } from '@halm/platform';
import type { Logger } from 'pino';

/** The durable consumer every ledger instance shares for the `checkpoints` table. */
export const CHECKPOINT_PROJECTION_CONSUMER = 'ledger--checkpoint-projection';

const ACK_WAIT_MS = 30_000;
const STREAM_NOT_FOUND = 10059;

export interface CheckpointProjectorTuning {
  maxBatch: number;
  /** PostgreSQL refused the batch; it is tried again (by any instance) after this delay. */
  failedRetryMs: number;
  /** The checkpoint stream does not exist yet (it is created when checkpoints are first signed); look again after this delay. */
  streamRetryMs: number;
}

const DEFAULT_TUNING: CheckpointProjectorTuning = { maxBatch: 200, failedRetryMs: 1_000, streamRetryMs: 2_000 };

/**
 * Projects the checkpoint stream into the `checkpoints` table. A checkpoint never changes and
 * its row is keyed by tenant, tree size and key id, so every insert is idempotent: no position
 * is kept beside it, and any number of instances share the durable consumer.
 */
@Injectable()
export class ProjectCheckpointsHandler implements OnApplicationBootstrap, OnModuleDestroy {
  private running: RunningConsumer | undefined;
  private stopped = false;
  private waiting: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    private readonly projection: CheckpointProjection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    // Started in the background: the ledger must serve appends even before the checkpoint stream exists.
    this.waiting = this.startWhenStreamExists(DEFAULT_TUNING);
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Creates the durable consumer and starts consuming; fails when the checkpoint stream does not exist. */
  async start(tuning: Partial<CheckpointProjectorTuning> = {}): Promise<void> {
    const { maxBatch, failedRetryMs } = { ...DEFAULT_TUNING, ...tuning };
    await ensureDurableConsumer(await jetstreamManager(this.connection), {
      stream: this.topology.checkpointStream,
      durable: CHECKPOINT_PROJECTION_CONSUMER,
      ackWaitMs: ACK_WAIT_MS,
    });
    this.running = await consumeInBatches({
      connection: this.connection,
      stream: this.topology.checkpointStream,
      durable: CHECKPOINT_PROJECTION_CONSUMER,
      maxBatch,
      decode: (message: JsMsg) => message.json<unknown>(),
      handle: (checkpoints) => this.project(checkpoints),
      retryDelayMs: failedRetryMs,
      logger: this.logger,
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.waiting;
    await this.running?.stop();
    this.running = undefined;
  }

  async project(checkpoints: unknown[]): Promise<Verdict[]> {
    await this.projection.apply(checkpoints);
    return checkpoints.map((checkpoint) => (wellFormedCheckpoint(checkpoint) ? Verdicts.ack() : Verdicts.term('not a well-formed signed checkpoint')));
  }

  private async startWhenStreamExists(tuning: CheckpointProjectorTuning): Promise<void> {
    let told = false;
    while (!this.stopped) {
      try {
        await this.start(tuning);
        return;
      } catch (error) {
        if (!(error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND)) {
          this.logger.error({ err: error }, 'the checkpoint projection could not start; trying again');
        } else if (!told) {
          this.logger.info({ stream: this.topology.checkpointStream }, 'no checkpoint stream yet; the checkpoint projection starts once it exists');
          told = true;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, tuning.streamRetryMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }
}
