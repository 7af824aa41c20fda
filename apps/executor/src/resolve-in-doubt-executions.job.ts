import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { ExecutionStartedData } from '@halm/contracts';
import { ExecutionReadModel, type ExecutionRow } from '@halm/persistence';
import { LOGGER, SETTINGS } from '@halm/platform';
import type { Logger } from 'pino';
import { ExecutionGate } from './execution-gate';
import { ExecutorLiveness } from './executor-liveness';
import { EXECUTOR_ID } from './executor.tokens';
import type { ExecutorSettings } from './executor.settings';

const BATCH = 100;

/**
 * Finds kernel executions that started and never ended because their executor died, and
 * records them IN_DOUBT: the effect may or may not have happened, and the kernel never
 * performs it again (receivers deduplicate by the idempotency key). An execution is
 * abandoned when it is this instance's own from an earlier run (it is not in flight here),
 * or when the instance that started it has no heartbeat. Runs at start and on a schedule;
 * a resolution racing a late completion is settled by the ledger, which takes only one end.
 */
@Injectable()
export class ResolveInDoubtExecutionsJob implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly executions: ExecutionReadModel,
    private readonly gate: ExecutionGate,
    private readonly liveness: ExecutorLiveness,
    @Inject(SETTINGS) private readonly settings: ExecutorSettings,
    @Inject(EXECUTOR_ID) private readonly executorId: string,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.sweep()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn({ err: error }, 'could not look for executions in doubt'))
        .finally(() => {
          if (this.timer) this.schedule(this.settings.IN_DOUBT_SWEEP_MS);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** One pass; returns how many executions it resolved. */
  async sweep(): Promise<number> {
    let resolved = 0;
    for (const row of await this.executions.openKernelExecutions(BATCH)) {
      if (!(await this.abandoned(row))) continue;
      await this.resolve(row);
      resolved += 1;
    }
    return resolved;
  }

  private async abandoned(row: ExecutionRow): Promise<boolean> {
    if (this.gate.isInFlight(row.executionId)) return false;
    if (row.executorId === this.executorId) return true;
    return row.executorId === null || !(await this.liveness.isAlive(row.executorId));
  }

  private async resolve(row: ExecutionRow): Promise<void> {
    const start = { executionId: row.executionId, proposalId: row.proposalId, decisionHash: row.decisionHash } as ExecutionStartedData;
    const view = await this.gate.complete(
      row.tenantId,
      start,
      {
        outcome: 'IN_DOUBT',
        result: {
          reason: 'the executor stopped after starting the effect and before recording its outcome; the kernel will not perform it again',
          abandonedBy: row.executorId,
        },
      },
      { kind: 'kernel', id: this.executorId },
      new Date(),
    );
    this.logger.warn({ tenantId: row.tenantId, executionId: row.executionId, abandonedBy: row.executorId, status: view.status }, 'resolved an abandoned execution');
  }
}
