import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { LOGGER, SETTINGS } from '@halm/platform';
import type { Logger } from 'pino';
import type { LedgerSettings } from '../ledger.settings';
import { CheckpointPublisher } from './checkpoint-publisher';

/**
 * Every CHECKPOINT_INTERVAL_MS, a signed checkpoint for each tenant whose ledger grew since
 * its latest one. Every ledger instance runs it; the checkpoint stream keeps one checkpoint
 * per tree, so the instances do not multiply them.
 */
@Injectable()
export class PublishCheckpointsJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly publisher: CheckpointPublisher,
    @Inject(SETTINGS) private readonly settings: LedgerSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (this.settings.CHECKPOINT_INTERVAL_MS === 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.publisher
        .publishDue(new Date())
        .catch((error: unknown) => this.logger.error({ err: error }, 'could not look for tenants due a checkpoint; retrying on the next pass'))
        .finally(() => (this.running = undefined));
    }, this.settings.CHECKPOINT_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
