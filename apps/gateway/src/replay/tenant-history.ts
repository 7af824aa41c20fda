import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { LedgerEvent, Topology } from '@halm/contracts';
import type { HeightRange } from '@halm/domain';
import { LedgerStore, NATS_CONNECTION, TOPOLOGY } from '@halm/messaging';
import { problem, ProblemException } from '@halm/platform';
import { replayRange } from './replay-range';

/**
 * A tenant's events read from the ledger stream itself, not from the `ledger_events`
 * projection, which trails it by a moment: a replay right after a decision must see it.
 */
@Injectable()
export class TenantHistory {
  private store: Promise<LedgerStore> | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    @Inject(TOPOLOGY) private readonly topology: Topology,
  ) {}

  /** The heights to replay, checked against where the tenant's ledger ends now. */
  async range(tenantId: string, requested: HeightRange): Promise<Required<HeightRange>> {
    const head = await this.unavailableOnFailure(async () => (await this.ledger()).head(tenantId));
    return replayRange(head.height, requested);
  }

  /** Feeds `apply` every event from the first up to `range.toHeight`: the ones before the range are the state it starts from. */
  async fold(tenantId: string, range: Required<HeightRange>, apply: (event: LedgerEvent) => unknown): Promise<void> {
    if (range.toHeight < range.fromHeight) return;
    await this.unavailableOnFailure(async () => {
      for await (const event of (await this.ledger()).events(tenantId, range.toHeight)) apply(event);
    });
  }

  private ledger(): Promise<LedgerStore> {
    this.store ??= LedgerStore.open(this.connection, this.topology).catch((error: unknown) => {
      this.store = undefined;
      throw error;
    });
    return this.store;
  }

  private async unavailableOnFailure<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ProblemException) throw error;
      throw new ProblemException(problem(503, `The ledger stream could not be read: ${(error as Error).message}; retry`));
    }
  }
}
