import { jetstream, jetstreamManager, JetStreamApiError, PubHeaders, type ApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { DeliverPolicy, RetentionPolicy, StorageType, DiscardPolicy } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { LedgerEvent, Topology } from '@halm/contracts';
import { tracedHeaders } from './nats-headers';
import { RpcClient } from './rpc';

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
const STREAM_NOT_FOUND = 10059;
// On a clustered stream (nats-server 2.11+): a conditional publish already in flight for the
// subject (10164), a new leader not yet caught up (10163), a duplicate message id still in
// flight (10158). None of them appended anything, so the writer re-reads the head and tries again.
const RETRY_LATER_CODES = new Set([10164, 10163, 10158]);

/** JetStream could not take the append right now; nothing was written. */
export class AppendBusyError extends Error {
  constructor(code: number, message: string) {
    super(`ledger stream busy (${code}): ${message}`);
    this.name = 'AppendBusyError';
  }
}

const DIRECT_READ_LIMIT = 64;
// The JetStream client's default.
const PUBLISH_TIMEOUT_MS = 5_000;

const DUPLICATE_WINDOW_NANOS = 2 * 60 * 1_000_000_000;

/**
 * Creates or updates an append-only stream of Halm's: file storage, kept forever, one subject
 * per tenant under `subjects`, no deleting or purging through the stream API (so history
 * cannot be rewritten by it), direct gets, and a duplicate window in which a republished
 * message id is dropped. The ledger and the checkpoint streams are both made this way.
 */
export const ensureAppendOnlyStream = async (manager: JetStreamManager, name: string, subjects: string, replicas = 1): Promise<void> => {
  const config = {
    name,
    subjects: [subjects],
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
  const existing = await manager.streams.info(name).catch((error: unknown) => {
    if (error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND) return null;
    throw error;
  });
  if (!existing) {
    await manager.streams.add(config);
    return;
  }
  const current = existing.config;
  const upToDate =
    current.subjects.length === 1 &&
    current.subjects[0] === subjects &&
    current.deny_delete === true &&
    current.deny_purge === true &&
    current.allow_direct === true &&
    current.duplicate_window === config.duplicate_window;
  // Production accounts let only the migration user update streams: services that merely
  // check an up-to-date stream at start must not need that permission.
  if (!upToDate) {
    await manager.streams.update(name, {
      subjects: config.subjects,
      deny_delete: true,
      deny_purge: true,
      allow_direct: true,
      duplicate_window: config.duplicate_window,
    });
  }
};

/** Creates or updates the ledger stream (`ensureAppendOnlyStream`). */
export const ensureLedgerStream = (manager: JetStreamManager, topology: Topology, replicas = 1): Promise<void> =>
  ensureAppendOnlyStream(manager, topology.ledgerStream, topology.ledgerSubjects, replicas);

/** Reads and appends a tenant's events on the ledger stream. Only the ledger service appends. */
export class LedgerStore {
  private readonly client: JetStreamClient;
  private readonly requests: RpcClient;

  private constructor(
    private readonly manager: JetStreamManager,
    private readonly topology: Topology,
    connection: NatsConnection,
  ) {
    this.client = jetstream(connection);
    this.requests = new RpcClient(connection);
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
   * `text` is the event as stored: its canonical form (`chainWithText`), so readers parse its
   * members in canonical order; any JSON of the event is equally valid.
   */
  async append(event: LedgerEvent, expectedSequence: number, messageId: string, text = JSON.stringify(event)): Promise<{ sequence: number; duplicate: boolean }> {
    const headers = tracedHeaders();
    headers.set(PubHeaders.MsgIdHdr, messageId);
    headers.set(PubHeaders.ExpectedLastSubjectSequenceHdr, String(expectedSequence));
    // JetStream's publish protocol as the client's publish() speaks it, through RpcClient's
    // inbox: the client builds an Error with a stack trace for every publish (nats.js 3.4).
    const answer = await this.requests.requestMessage(this.topology.ledgerSubject(event.tenantId), text, PUBLISH_TIMEOUT_MS, headers);
    const ack = answer.json<{ stream?: string; seq?: number; duplicate?: boolean; error?: ApiError }>();
    if (ack.error) {
      const error = new JetStreamApiError(ack.error);
      if (error.code === WRONG_LAST_SEQUENCE) throw new StaleHeadError(event.tenantId, expectedSequence);
      if (RETRY_LATER_CODES.has(error.code)) throw new AppendBusyError(error.code, error.message);
      throw error;
    }
    if (!ack.stream || typeof ack.seq !== 'number') throw new Error('JetStream answered the publish without an acknowledgement');
    return { sequence: ack.seq, duplicate: ack.duplicate === true };
  }

  /** A tenant's events in order, from `fromHeight` (1 = the start). */
  async read(tenantId: string, fromHeight = 1): Promise<LedgerEvent[]> {
    const stored = await this.readAfter(tenantId, 0);
    return stored.map((entry) => entry.event).filter((event) => event.height >= fromHeight);
  }

  /** A tenant's events stored after stream sequence `afterSequence`, in order, with their sequences. */
  async readAfter(tenantId: string, afterSequence: number): Promise<{ event: LedgerEvent; sequence: number }[]> {
    const head = await this.head(tenantId);
    if (head.sequence <= afterSequence) return [];
    // A writer that lost a race is usually a few events behind: fetching them one by one is
    // far cheaper than setting up a consumer. A long history is streamed by a consumer.
    if (afterSequence > 0) {
      const missed: { event: LedgerEvent; sequence: number }[] = [];
      let cursor = afterSequence;
      while (cursor < head.sequence && missed.length < DIRECT_READ_LIMIT) {
        const next = await this.manager.direct.getMessage(this.topology.ledgerStream, { seq: cursor + 1, next_by_subj: this.topology.ledgerSubject(tenantId) });
        if (!next) break;
        missed.push({ event: next.json<LedgerEvent>(), sequence: next.seq });
        cursor = next.seq;
      }
      if (cursor >= head.sequence) return missed;
      return [...missed, ...(await this.streamAfter(tenantId, cursor, head.sequence))];
    }
    return this.streamAfter(tenantId, afterSequence, head.sequence);
  }

  private async streamAfter(tenantId: string, afterSequence: number, untilSequence: number): Promise<{ event: LedgerEvent; sequence: number }[]> {
    const events: { event: LedgerEvent; sequence: number }[] = [];
    for await (const entry of this.stream(this.topology.ledgerSubject(tenantId), afterSequence, untilSequence)) events.push(entry);
    return events;
  }

  /**
   * A tenant's events in order, one at a time, from its first up to `untilHeight` (default: its
   * last event when the read starts): a long history is folded as it arrives, never held whole.
   */
  async *events(tenantId: string, untilHeight?: number): AsyncGenerator<LedgerEvent> {
    const head = await this.head(tenantId);
    if (head.sequence === 0 || untilHeight === 0) return;
    for await (const { event } of this.stream(this.topology.ledgerSubject(tenantId), 0, head.sequence)) {
      if (untilHeight !== undefined && event.height > untilHeight) return;
      yield event;
      if (untilHeight !== undefined && event.height >= untilHeight) return;
    }
  }

  /** Every event of the stream, all tenants, in stream order, up to the last one stored when it starts. */
  async *readAll(): AsyncGenerator<LedgerEvent> {
    const last = (await this.manager.streams.info(this.topology.ledgerStream)).state.last_seq;
    for await (const { event } of this.stream(undefined, 0, last)) yield event;
  }

  /** Stored messages after `afterSequence` up to `untilSequence`, through an ordered consumer that leaves nothing behind. */
  private async *stream(subject: string | undefined, afterSequence: number, untilSequence: number): AsyncGenerator<{ event: LedgerEvent; sequence: number }> {
    if (untilSequence <= afterSequence) return;
    const consumer = await this.client.consumers.get(this.topology.ledgerStream, {
      ...(subject ? { filter_subjects: subject } : {}),
      ...(afterSequence > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: afterSequence + 1 } : { deliver_policy: DeliverPolicy.All }),
    });
    const messages = await consumer.consume();
    try {
      for await (const message of messages) {
        yield { event: message.json<LedgerEvent>(), sequence: message.seq };
        if (message.seq >= untilSequence) break;
      }
    } finally {
      await messages.close();
      await consumer.delete().catch(() => undefined);
    }
  }
}
