import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RpcError } from '@halm/messaging';
import { dueVetoWindows } from '@halm/persistence';
import { LOGGER, SETTINGS } from '@halm/platform';
import type { Logger } from 'pino';
import { LedgerWriter } from './ledger-writer';
import type { LedgerSettings } from './ledger.settings';

const BATCH = 100;

/**
 * Records `VetoWindowElapsed` for every held proposal whose deadline passed unvetoed: the
 * end of a veto window is an event of its own, never a silent timeout. It reads the due
 * proposals from the projection, so a restart (or another instance) simply picks them up;
 * the ledger refuses the event when a veto won the race, and the deterministic event id
 * makes a second instance's attempt a no-op.
 */
@Injectable()
export class RecordElapsedVetoWindowsJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly appender: LedgerWriter,
    @Inject(SETTINGS) private readonly settings: LedgerSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => (this.running = undefined));
    }, this.settings.VETO_SWEEP_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass: every window due now. Exposed for tests. */
  async sweep(now: Date = new Date()): Promise<number> {
    let recorded = 0;
    try {
      for (const due of await dueVetoWindows(this.dataSource, now, BATCH)) {
        try {
          await this.appender.append({
            tenantId: due.tenantId,
            eventId: `${due.proposalId}.veto-window-elapsed`,
            type: 'VetoWindowElapsed',
            recordedAt: now.toISOString(),
            data: { proposalId: due.proposalId, vetoDeadline: due.vetoDeadline },
          });
          recorded += 1;
        } catch (error) {
          // A veto recorded just before the deadline, not yet projected: the ledger said no, rightly.
          if (!(error instanceof RpcError && error.code === 'CONFLICT')) throw error;
        }
      }
    } catch (error) {
      this.logger.error({ err: error }, 'could not record elapsed veto windows; retrying on the next pass');
    }
    if (recorded > 0) this.logger.info({ recorded }, 'veto windows elapsed');
    return recorded;
  }
}
