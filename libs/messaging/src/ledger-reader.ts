import { jetstream, jetstreamManager, DeliverPolicy } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { LedgerEvent, Topology } from '@halm/contracts';

/**
 * Every event of the ledger stream, all tenants, in stream order, up to the last one stored
 * when iteration starts. Read with an ordered consumer, which leaves nothing behind.
 */
export async function* readWholeLedger(connection: NatsConnection, topology: Topology): AsyncGenerator<LedgerEvent> {
  const manager = await jetstreamManager(connection);
  const last = (await manager.streams.info(topology.ledgerStream)).state.last_seq;
  if (last === 0) return;
  const consumer = await jetstream(connection).consumers.get(topology.ledgerStream, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume();
  try {
    for await (const message of messages) {
      yield message.json<LedgerEvent>();
      if (message.seq >= last) break;
    }
  } finally {
    await messages.close();
    await consumer.delete().catch(() => undefined);
  }
}
