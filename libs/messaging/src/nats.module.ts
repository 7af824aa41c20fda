import { type DynamicModule, Global, Inject, Module, type OnApplicationShutdown, type OnModuleInit, type Provider } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { topology, type Topology } from '@halm/contracts';
import { HealthRegistry, LOGGER, SETTINGS, type ServiceSettings } from '@halm/platform';
import type { Logger } from 'pino';
import { AnomalyReporter } from './anomaly-reporter';
import { LockdownState, LockdownSwitch } from './lockdown-state';
import { RpcClient } from './rpc';

export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const TOPOLOGY = Symbol('TOPOLOGY');

export interface NatsCredentials {
  user: string;
  password: string;
}

/** Opens a connection that keeps reconnecting: a NATS restart must not end a service. */
export const connectNats = (url: string, name: string, credentials?: NatsCredentials): Promise<NatsConnection> =>
  connect({
    servers: url.split(','),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    timeout: 5_000,
    // Otherwise every request builds two Error objects with stack traces up front, used only if
    // it times out or fails: about a tenth of the gateway's CPU per authorize. RpcClient names the
    // subject in every error it raises, which says more than the client's stack would.
    noAsyncTraces: true,
    ...(credentials?.user ? { user: credentials.user, pass: credentials.password } : {}),
  });

/** The service's one NATS connection, its topology and a request client, for every module. */
@Global()
@Module({})
export class NatsModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    private readonly health: HealthRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  static forRoot(service: string): DynamicModule {
    return {
      module: NatsModule,
      providers: [
        {
          provide: NATS_CONNECTION,
          inject: [SETTINGS],
          useFactory: (settings: ServiceSettings) => connectNats(settings.NATS_URL, service, { user: settings.NATS_USER, password: settings.NATS_PASSWORD }),
        },
        { provide: TOPOLOGY, inject: [SETTINGS], useFactory: (settings: ServiceSettings): Topology => topology(settings.HALM_NAMESPACE) },
        { provide: RpcClient, inject: [NATS_CONNECTION], useFactory: (connection: NatsConnection) => new RpcClient(connection) },
      ],
      exports: [NATS_CONNECTION, TOPOLOGY, RpcClient],
    };
  }

  onModuleInit(): void {
    this.health.register('nats', async () => {
      if (this.connection.isClosed()) throw new Error('connection closed');
      await this.connection.flush();
    });
    this.health.register('jetstream', async () => {
      const manager = await jetstreamManager(this.connection, { timeout: 1_500 });
      await manager.getAccountInfo();
    });
    void (async () => {
      for await (const status of this.connection.status()) {
        if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') {
          this.logger.warn({ nats: status.type }, `NATS ${status.type}`);
        }
      }
    })();
  }

  /** Drain last: by now the HTTP server and the request transport have finished their work. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.connection.isClosed()) await this.connection.drain();
  }
}

/**
 * The lockdown state every service that acts on it shares: started (watching the bucket)
 * before the service takes work, and failing closed when it cannot be read.
 */
export const LOCKDOWN_STATE_PROVIDER: Provider = {
  provide: LockdownState,
  inject: [NATS_CONNECTION, TOPOLOGY, LOGGER],
  useFactory: async (connection: NatsConnection, names: Topology, logger: Logger) => {
    const state = new LockdownState(connection, names, { logger });
    await state.start();
    return state;
  },
};

/** The lockdown bucket's writing side; the bucket normally exists already (`./halm migrate`), opening it creates it where the service may. */
export const LOCKDOWN_SWITCH_PROVIDER: Provider = {
  provide: LockdownSwitch,
  inject: [NATS_CONNECTION, TOPOLOGY],
  useFactory: (connection: NatsConnection, names: Topology) => LockdownSwitch.open(connection, names),
};

/** Records anomalies in the tenants' ledgers through the ledger service. */
export const ANOMALY_REPORTER_PROVIDER: Provider = {
  provide: AnomalyReporter,
  inject: [RpcClient, TOPOLOGY, LOGGER],
  useFactory: (rpc: RpcClient, names: Topology, logger: Logger) => new AnomalyReporter(rpc, names, logger),
};
