import { Module } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Topology } from '@halm/contracts';
import { CheckpointStore, LOCKDOWN_SWITCH_PROVIDER, NATS_CONNECTION, NatsModule, TOPOLOGY } from '@halm/messaging';
import { PersistenceModule } from '@halm/persistence';
import { EngageOnAnomaliesHandler } from './engage-on-anomalies.handler';
import { LockdownRecorder } from './lockdown-recorder';
import { LockdownRequestsHandler } from './lockdown-requests.handler';
import { TenantLedgers } from './tenant-ledgers';

@Module({
  imports: [NatsModule.forRoot('lockdown-controller'), PersistenceModule.forRoot()],
  controllers: [LockdownRequestsHandler],
  providers: [
    TenantLedgers,
    LockdownRecorder,
    EngageOnAnomaliesHandler,
    // Only its per-subject counts of the ledger stream: which tenants have a chain.
    { provide: CheckpointStore, inject: [NATS_CONNECTION, TOPOLOGY], useFactory: (connection: NatsConnection, topology: Topology) => CheckpointStore.open(connection, topology) },
    LOCKDOWN_SWITCH_PROVIDER,
  ],
})
export class LockdownControllerModule {}
