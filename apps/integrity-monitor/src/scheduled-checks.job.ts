import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { LOGGER, SETTINGS } from '@halm/platform';
import type { Logger } from 'pino';
import { IntegrityRunner } from './integrity-runner';
import type { IntegrityMonitorSettings } from './integrity-monitor.settings';

// The first run soon after start, not during it: readiness comes first.
const FIRST_RUN_DELAY_MS = 1_000;

/**
 * Every INTEGRITY_CHECK_INTERVAL_MS, a run over every tenant, and one soon after start. Every
 * instance runs it; the per-tenant locks share the tenants out, so instances never check a
 * tenant twice at once. A run still going when the next is due makes that one wait its turn.
 */
@Injectable()
export class ScheduledChecksJob implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly runner: IntegrityRunner,
    @Inject(SETTINGS) private readonly settings: IntegrityMonitorSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const interval = this.settings.INTEGRITY_CHECK_INTERVAL_MS;
    if (interval === 0) return;
    this.first = setTimeout(() => this.tick(), FIRST_RUN_DELAY_MS);
    this.first.unref();
    this.timer = setInterval(() => this.tick(), interval);
    this.timer.unref();
  }

  private tick(): void {
    this.running ??= this.runner
      .run({ trigger: 'schedule', tenantId: null, full: false, requestedBy: null })
      .catch((error: unknown) => this.logger.error({ err: error }, 'the scheduled integrity check failed; the next one runs on schedule'))
      .finally(() => (this.running = undefined));
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.first);
    clearInterval(this.timer);
    await this.running;
  }
}
