import { Inject, Injectable } from '@nestjs/common';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { AppendReply, AppendRequest, LedgerEvent, Topology } from '@halm/contracts';
import { CheckpointStore, NATS_CONNECTION, RpcClient, TOPOLOGY } from '@halm/messaging';
import { TenantEntity } from '@halm/persistence';
import { SETTINGS } from '@halm/platform';
import { DataSource } from 'typeorm';
import type { LockdownControllerSettings } from './lockdown-controller.settings';

// Stream timestamps and `recordedAt` come from different clocks; reading a little earlier loses nothing.
const CLOCK_SLACK_MS = 60_000;

/** The tenants' ledgers as the controller needs them: who has one, what one holds lately, and appends through the ledger service. */
@Injectable()
export class TenantLedgers {
  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    private readonly rpc: RpcClient,
    private readonly checkpoints: CheckpointStore,
    private readonly dataSource: DataSource,
    @Inject(SETTINGS) private readonly settings: LockdownControllerSettings,
  ) {}

  /**
   * Every tenant a global lockdown must reach: those in the tenants table, and those with a
   * chain in the ledger stream (the sandbox, or a tenant made outside the API).
   */
  async allTenants(): Promise<string[]> {
    const [rows, chains] = await Promise.all([this.dataSource.getRepository(TenantEntity).find({ select: { id: true } }), this.checkpoints.ledgerSizes()]);
    return [...new Set([...rows.map((row) => row.id), ...chains.keys()])].sort();
  }

  /** The tenant's events recorded from about `since` up to its head, in order. */
  async since(tenantId: string, since: Date): Promise<LedgerEvent[]> {
    const subject = this.topology.ledgerSubject(tenantId);
    const manager = await jetstreamManager(this.connection);
    const head = await manager.streams.getMessage(this.topology.ledgerStream, { last_by_subj: subject });
    const start = new Date(since.getTime() - CLOCK_SLACK_MS);
    // Nothing stored since then: a consumer starting there would wait for the next event.
    if (!head || head.time < start) return [];
    const consumer = await jetstream(this.connection).consumers.get(this.topology.ledgerStream, {
      filter_subjects: subject,
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: start.toISOString(),
    });
    const events: LedgerEvent[] = [];
    const messages = await consumer.consume();
    try {
      for await (const message of messages) {
        events.push(message.json<LedgerEvent>());
        if (message.seq >= head.seq) break;
      }
    } finally {
      await messages.close();
      await consumer.delete().catch(() => undefined);
    }
    return events;
  }

  append(request: AppendRequest): Promise<AppendReply> {
    return this.rpc.request<AppendRequest, AppendReply>(this.topology.appendSubject, request, this.settings.APPEND_TIMEOUT_MS);
  }
}
