import { Module } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Topology } from '@halm/contracts';
import { ensureLedgerStream, LedgerStore, NATS_CONNECTION, NatsModule, TOPOLOGY } from '@halm/messaging';
import { SETTINGS } from '@halm/platform';
import { AppendEventHandler } from './append-event.handler';
import type { LedgerSettings } from './ledger.settings';

@Module({
  imports: [NatsModule.forRoot('ledger')],
  controllers: [AppendEventHandler],
  providers: [
    {
      provide: LedgerStore,
      inject: [NATS_CONNECTION, TOPOLOGY, SETTINGS],
      useFactory: async (connection: NatsConnection, topology: Topology, settings: LedgerSettings) => {
        // Idempotent: the stream normally exists already (`./halm migrate`), but a ledger must never start without it.
        await ensureLedgerStream(await jetstreamManager(connection), topology, settings.LEDGER_REPLICAS);
        return LedgerStore.open(connection, topology);
      },
    },
  ],
})
export class LedgerModule {}
