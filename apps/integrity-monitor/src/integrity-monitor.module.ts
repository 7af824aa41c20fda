import { Module } from '@nestjs/common';
import { hostname } from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Topology } from '@halm/contracts';
import { AnomalyReporter, LockdownSwitch, NATS_CONNECTION, NatsModule, RpcClient, TOPOLOGY } from '@halm/messaging';
import { PersistenceModule } from '@halm/persistence';
import { LOGGER, SETTINGS } from '@halm/platform';
import type { Logger } from 'pino';
import { IncidentReporter } from './incident-reporter';
import { IntegrityRequestsHandler } from './integrity-requests.handler';
import { IntegrityRunner } from './integrity-runner';
import type { IntegrityMonitorSettings } from './integrity-monitor.settings';
import { MONITOR_ID } from './integrity-monitor.tokens';
import { LedgerSource } from './ledger-source';
import { ScheduledChecksJob } from './scheduled-checks.job';

@Module({
  imports: [NatsModule.forRoot('integrity-monitor'), PersistenceModule.forRoot()],
  controllers: [IntegrityRequestsHandler],
  providers: [
    IntegrityRunner,
    IncidentReporter,
    ScheduledChecksJob,
    { provide: LedgerSource, inject: [NATS_CONNECTION, TOPOLOGY], useFactory: (connection: NatsConnection, topology: Topology) => LedgerSource.open(connection, topology) },
    // The bucket normally exists already (`./halm migrate`); it is written only when the lockdown controller cannot be reached.
    { provide: LockdownSwitch, inject: [NATS_CONNECTION, TOPOLOGY], useFactory: (connection: NatsConnection, topology: Topology) => LockdownSwitch.open(connection, topology) },
    { provide: AnomalyReporter, inject: [RpcClient, TOPOLOGY, LOGGER], useFactory: (rpc: RpcClient, topology: Topology, logger: Logger) => new AnomalyReporter(rpc, topology, logger) },
    { provide: MONITOR_ID, inject: [SETTINGS], useFactory: (settings: IntegrityMonitorSettings) => settings.MONITOR_ID || `${hostname()}-${settings.PORT}` },
  ],
})
export class IntegrityMonitorModule {}
