import type { NatsConnection } from '@nats-io/transport-node';
import type { LedgerEvent, Topology } from '@halm/contracts';
import { LedgerStore } from './ledger-store';

/**
 * Every event of the ledger stream, all tenants, in stream order, up to the last one stored
 * when iteration starts (what a projection rebuild replays).
 */
export async function* readWholeLedger(connection: NatsConnection, topology: Topology): AsyncGenerator<LedgerEvent> {
  yield* (await LedgerStore.open(connection, topology)).readAll();
}
