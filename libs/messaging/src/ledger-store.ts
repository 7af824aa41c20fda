import { jetstream, jetstreamManager, JetStreamApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { DeliverPolicy, RetentionPolicy, StorageType, DiscardPolicy } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { LedgerEvent, Topology } from '@halm/contracts';
import { tracedHeaders } from './nats-headers';

/** Where a tenant's chain ends, with the stream sequence of that last event (0 when empty). */
export interface StoredHead {
  height: number;
  hash: string;
  sequence: number;
}

/** JetStream's answer to an append whose expected last subject sequence was not the real one. */
export class StaleHeadError extends Error {
  constructor(tenantId: string, expected: number) {
    super(`the ledger of ${tenantId} moved past sequence ${expected}`);
    this.name = 'StaleHeadError';
  }
}

// JetStream's error code for a failed Nats-Expected-Last-Subject-Sequence check.
const WRONG_LAST_SEQUENCE = 10071;

const DUPLICATE_WINDOW_NANOS = 2 * 60 * 1_000_000_000;

/**
 * Creates or updates the ledger stream: file storage, kept forever, one subject per tenant,
 * and no deleting or purging through the stream API, so history cannot be rewritten by it.
 */
export const ensureLedgerStream = async (manager: JetStreamManager, topology: Topology, replicas = 1): Promise<void> => {
  const config = {
    name: topology.ledgerStream,
    subjects: [topology.ledgerSubjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.New,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    num_replicas: replicas,
    duplicate_window: DUPLICATE_WINDOW_NANOS,
    deny_delete: true,
    deny_purge: true,
    allow_direct: true,
  };
  const existing = await manager.streams.info(topology.ledgerStream).catch(() => null);
  if (existing) {
    await manager.streams.update(topology.ledgerStream, { subjects: config.subjects, duplicate_window: config.duplicate_window, allow_direct: true });
  } else {
    await manager.streams.add(config);
  }
};

/** Reads and appends a tenant's events on the ledger stream. Only the ledger service appends. */
export class LedgerStore {
  private readonly client: JetStreamClient;

  private constructor(
    private readonly manager: JetStreamManager,
    private readonly topology: Topology,
    connection: NatsConnection,
  ) {
    this.client = jetstream(connection);
  }

  static async open(connection: NatsConnection, topology: Topology): Promise<LedgerStore> {
    return new LedgerStore(await jetstreamManager(connection), topology, connection);
  }

  async head(tenantId: string): Promise<StoredHead> {
    const stored = await this.manager.streams.getMessage(this.topology.ledgerStream, { last_by_subj: this.topology.ledgerSubject(tenantId) });
    if (!stored) return { height: 0, hash: '0'.repeat(64), sequence: 0 };
    const event = stored.json<LedgerEvent>();
    return { height: event.height, hash: event.hash, sequence: stored.seq };
  }

  async eventAt(sequence: number): Promise<LedgerEvent> {
    const stored = await this.manager.streams.getMessage(this.topology.ledgerStream, { seq: sequence });
    if (!stored) throw new Error(`no ledger event at sequence ${sequence}`);
    return stored.json<LedgerEvent>();
  }

  /**
   * Publishes `event` only if the tenant's last event is still at `expectedSequence`, so two
   * writers can never both extend the same head. The message id makes a retried publish a
   * no-op within the duplicate window: JetStream then answers with the first copy's sequence.
   */
  async append(event: LedgerEvent, expectedSequence: number, messageId: string): Promise<{ sequence: number; duplicate: boolean }> {
    try {
      const ack = await this.client.publish(this.topology.ledgerSubject(event.tenantId), JSON.stringify(event), {
        msgID: messageId,
        expect: { lastSubjectSequence: expectedSequence },
        headers: tracedHeaders(),
      });
      return { sequence: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === WRONG_LAST_SEQUENCE) throw new StaleHeadError(event.tenantId, expectedSequence);
      throw error;
    }
  }

  /** A tenant's events in order, from `fromHeight` (1 = the start). */
  async read(tenantId: string, fromHeight = 1): Promise<LedgerEvent[]> {
    const head = await this.head(tenantId);
    if (head.height < fromHeight) return [];
    const consumer = await this.client.consumers.get(this.topology.ledgerStream, {
      filter_subjects: [this.topology.ledgerSubject(tenantId)],
      deliver_policy: DeliverPolicy.All,
    });
    const events: LedgerEvent[] = [];
    const messages = await consumer.consume();
    for await (const message of messages) {
      const event = message.json<LedgerEvent>();
      if (event.height >= fromHeight) events.push(event);
      if (message.seq >= head.sequence) break;
    }
    await messages.close();
    await consumer.delete().catch(() => undefined);
    return events;
  }
}
