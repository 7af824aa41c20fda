import { Module } from '@nestjs/common';
import { hostname } from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Topology } from '@halm/contracts';
import { ANOMALY_REPORTER_PROVIDER, LOCKDOWN_SWITCH_PROVIDER, NATS_CONNECTION, NatsModule, TOPOLOGY } from '@halm/messaging';
import { PersistenceModule } from '@halm/persistence';
import { SETTINGS } from '@halm/platform';
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
    // Written only when the lockdown controller cannot be reached.
    LOCKDOWN_SWITCH_PROVIDER,
    ANOMALY_REPORTER_PROVIDER,
    { provide: MONITOR_ID, inject: [SETTINGS], useFactory: (settings: IntegrityMonitorSettings) => settings.MONITOR_ID || `${hostname()}-${settings.PORT}` },
  ],
})
export class IntegrityMonitorModule {}
