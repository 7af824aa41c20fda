import { DeliverPolicy, jetstream, jetstreamManager, JetStreamApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Topology } from '@halm/contracts';
import type { MonitoredEntry } from '@halm/domain';
import { CheckpointStore } from '@halm/messaging';

/** A message of a stream as the monitor reads it: never trusted to be an event, so kept as text when it is not JSON. */
export interface StreamEntry {
  sequence: number;
  subject: string;
  entry: MonitoredEntry;
}

const STREAM_NOT_FOUND = 10059;
// A check after a few new events reads them one by one; a long history through a consumer.
const DIRECT_READ_LIMIT = 64;
const FETCH_BATCH = 10_000;
const FETCH_EXPIRES_MS = 2_000;

const entryOf = (sequence: number, data: Uint8Array): MonitoredEntry => {
  const text = new TextDecoder().decode(data);
  try {
    return { sequence, event: JSON.parse(text) as unknown };
  } catch {
    return { sequence, raw: text };
  }
};

/**
 * The tenants' chains and checkpoints read straight from JetStream, not from any projection:
 * whatever is on a tenant's ledger subject is examined, also a message that bypassed the
 * ledger service, and also one that is not an event at all.
 */
export class LedgerSource {
  private readonly client: JetStreamClient;

  private constructor(
    private readonly manager: JetStreamManager,
    private readonly topology: Topology,
    private readonly checkpoints: CheckpointStore,
    connection: NatsConnection,
  ) {
    this.client = jetstream(connection);
  }

  static async open(connection: NatsConnection, topology: Topology): Promise<LedgerSource> {
    return new LedgerSource(await jetstreamManager(connection), topology, await CheckpointStore.open(connection, topology), connection);
  }

  /** Every tenant with a subject on the ledger stream, and how many messages it holds (the stream's per-subject counts). */
  tenants(): Promise<Map<string, number>> {
    return this.checkpoints.ledgerSizes();
  }

  /** The stream sequence of the tenant's last message; 0 when its subject holds none. */
  async lastSequence(tenantId: string): Promise<number> {
    const last = await this.manager.streams.getMessage(this.topology.ledgerStream, { last_by_subj: this.topology.ledgerSubject(tenantId) });
    return last?.seq ?? 0;
  }

  /** The message at a stream sequence, whatever its subject; null when there is none (any more). */
  async at(sequence: number): Promise<StreamEntry | null> {
    const stored = await this.manager.streams.getMessage(this.topology.ledgerStream, { seq: sequence });
    return stored ? { sequence: stored.seq, subject: stored.subject, entry: entryOf(stored.seq, stored.data) } : null;
  }

  /** The tenant's messages after `afterSequence` up to `untilSequence`, in stream order, in batches of at most `batchSize`. */
  async *entryBatches(tenantId: string, afterSequence: number, untilSequence: number, batchSize = FETCH_BATCH): AsyncGenerator<MonitoredEntry[]> {
    for await (const batch of this.read(this.topology.ledgerStream, this.topology.ledgerSubject(tenantId), afterSequence, untilSequence, batchSize)) yield batch.map((stored) => stored.entry);
  }

  /**
   * The checkpoints published for the tenant after `afterSequence` of the checkpoint stream, up
   * to the latest one now. None when the checkpoint stream does not exist (no ledger ever signed).
   */
  async checkpointsAfter(tenantId: string, afterSequence: number): Promise<{ sequence: number; checkpoint: unknown }[]> {
    const subject = this.topology.checkpointSubject(tenantId);
    let last;
    try {
      last = await this.manager.streams.getMessage(this.topology.checkpointStream, { last_by_subj: subject });
    } catch (error) {
      if (error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND) return [];
      throw error;
    }
    if (!last || last.seq <= afterSequence) return [];
    const checkpoints: { sequence: number; checkpoint: unknown }[] = [];
    for await (const batch of this.read(this.topology.checkpointStream, subject, afterSequence, last.seq, FETCH_BATCH)) {
      for (const { sequence, entry } of batch) checkpoints.push({ sequence, checkpoint: entry.event === undefined ? entry.raw : entry.event });
    }
    return checkpoints;
  }

  private async *read(stream: string, subject: string, afterSequence: number, untilSequence: number, batchSize: number): AsyncGenerator<StreamEntry[]> {
    const first: StreamEntry[] = [];
    let cursor = afterSequence;
    while (cursor < untilSequence && first.length < DIRECT_READ_LIMIT) {
      const next = await this.manager.direct.getMessage(stream, { seq: cursor + 1, next_by_subj: subject });
      if (!next || next.seq > untilSequence) {
        if (first.length > 0) yield first;
        return;
      }
      first.push({ sequence: next.seq, subject: next.subject, entry: entryOf(next.seq, next.data) });
      cursor = next.seq;
    }
    if (first.length > 0) yield first;
    if (cursor >= untilSequence) return;
    const consumer = await this.client.consumers.get(stream, { filter_subjects: subject, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: cursor + 1 });
    try {
      // Fetches that end: a message that vanished meanwhile (a stream rewritten under the check) cannot hang it.
      for (let done = false; !done; ) {
        const fetched = await consumer.fetch({ max_messages: batchSize, expires: FETCH_EXPIRES_MS });
        const batch: StreamEntry[] = [];
        try {
          for await (const message of fetched) {
            if (message.seq <= untilSequence) batch.push({ sequence: message.seq, subject: message.subject, entry: entryOf(message.seq, message.data) });
            if (message.seq >= untilSequence) {
              done = true;
              break;
            }
          }
        } finally {
          await fetched.close();
        }
        if (batch.length === 0) done = true;
        else yield batch;
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
  }
}
