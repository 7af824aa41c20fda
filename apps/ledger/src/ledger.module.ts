import { Module } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Topology } from '@halm/contracts';
import { CheckpointStore, ensureCheckpointStream, ensureLedgerStream, LedgerStore, NATS_CONNECTION, NatsModule, TOPOLOGY } from '@halm/messaging';
import { PersistenceModule } from '@halm/persistence';
import { SETTINGS } from '@halm/platform';
import { AppendEventHandler } from './append-event.handler';
import { CheckpointKeys } from './checkpoints/checkpoint-keys';
import { CheckpointPublisher } from './checkpoints/checkpoint-publisher';
import { CheckpointRequestsHandler } from './checkpoints/checkpoint-requests.handler';
import { PublishCheckpointsJob } from './checkpoints/publish-checkpoints.job';
import { TenantTrees } from './checkpoints/tenant-trees';
import { LedgerWriter } from './ledger-writer';
import { ProjectCheckpointsHandler } from './project-checkpoints.handler';
import { ProjectLedgerEventsHandler } from './project-ledger-events.handler';
import { RecordElapsedVetoWindowsJob } from './record-elapsed-veto-windows.job';
import type { LedgerSettings } from './ledger.settings';

@Module({
  imports: [NatsModule.forRoot('ledger'), PersistenceModule.forRoot()],
  controllers: [AppendEventHandler, CheckpointRequestsHandler],
  providers: [
    LedgerWriter,
    ProjectLedgerEventsHandler,
    ProjectCheckpointsHandler,
    RecordElapsedVetoWindowsJob,
    {
      provide: LedgerStore,
      inject: [NATS_CONNECTION, TOPOLOGY, SETTINGS],
      useFactory: async (connection: NatsConnection, topology: Topology, settings: LedgerSettings) => {
        // Idempotent: the stream normally exists already (`./halm migrate`), but a ledger must never start without it.
        await ensureLedgerStream(await jetstreamManager(connection), topology, settings.LEDGER_REPLICAS);
        return LedgerStore.open(connection, topology);
      },
    },
    CheckpointKeys,
    TenantTrees,
    CheckpointPublisher,
    PublishCheckpointsJob,
    {
      provide: CheckpointStore,
      inject: [NATS_CONNECTION, TOPOLOGY, SETTINGS],
      useFactory: async (connection: NatsConnection, topology: Topology, settings: LedgerSettings) => {
        await ensureCheckpointStream(await jetstreamManager(connection), topology, settings.LEDGER_REPLICAS);
        return CheckpointStore.open(connection, topology);
      },
    },
  ],
})
export class LedgerModule {}
