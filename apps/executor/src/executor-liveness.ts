import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Topology } from '@halm/contracts';
import { NATS_CONNECTION, TOPOLOGY } from '@halm/messaging';
import { LOGGER, SETTINGS } from '@halm/platform';
import type { Logger } from 'pino';
import { EXECUTOR_ID } from './executor.tokens';
import type { ExecutorSettings } from './executor.settings';

/**
 * Each live executor keeps a heartbeat in a NATS KV bucket whose entries expire after
 * EXECUTOR_LEASE_MS: an execution started by an instance without a heartbeat was abandoned.
 */
@Injectable()
export class ExecutorLiveness implements OnApplicationBootstrap, OnModuleDestroy {
  private bucket: KV | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    @Inject(SETTINGS) private readonly settings: ExecutorSettings,
    @Inject(EXECUTOR_ID) private readonly executorId: string,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.bucket = await new Kvm(this.connection).create(this.topology.executorsBucket, { ttl: this.settings.EXECUTOR_LEASE_MS, history: 1 });
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch((error: unknown) => this.logger.warn({ err: error }, 'could not renew the executor heartbeat'));
    }, this.settings.EXECUTOR_HEARTBEAT_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    // Leaving says so at once: others need not wait for the lease to run out.
    await this.bucket?.delete(keyOf(this.executorId)).catch(() => undefined);
  }

  /** Whether `executorId` renewed its heartbeat within the lease. */
  async isAlive(executorId: string): Promise<boolean> {
    if (!this.bucket) throw new Error('executor heartbeats are not open yet');
    const entry = await this.bucket.get(keyOf(executorId));
    return entry !== null && entry.operation === 'PUT';
  }

  private async beat(): Promise<void> {
    await this.bucket?.put(keyOf(this.executorId), JSON.stringify({ at: new Date().toISOString() }));
  }
}

// KV keys allow letters, digits and `-_=./`; an executor id may hold a colon or other characters.
const keyOf = (executorId: string): string => Buffer.from(executorId).toString('base64url');
