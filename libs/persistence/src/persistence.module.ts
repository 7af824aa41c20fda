import { type DynamicModule, Global, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HealthRegistry, SETTINGS, type DatabaseServiceSettings } from '@halm/platform';
import { TenantDirectory } from './api-keys';
import { CheckpointReadModel, LedgerEventReadModel } from './audit-read-model';
import { CheckpointProjection } from './checkpoint-projection';
import { createDataSource } from './data-source';
import { ExecutionReadModel } from './execution-read-model';
import { IntegrityReadModel } from './integrity-read-model';
import { IntegrityStore } from './integrity-store';
import { ProposalProjection } from './proposal-projection';
import { ProposalReadModel } from './proposal-read-model';

// Each takes only the pool.
const OVER_THE_POOL = [ProposalProjection, ProposalReadModel, CheckpointProjection, ExecutionReadModel, LedgerEventReadModel, CheckpointReadModel, IntegrityStore, IntegrityReadModel] as const;

/** The service's PostgreSQL pool, initialised at start and checked by readiness. */
@Global()
@Module({})
export class PersistenceModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly dataSource: DataSource,
    private readonly health: HealthRegistry,
  ) {}

  static forRoot(): DynamicModule {
    return {
      module: PersistenceModule,
      providers: [
        {
          provide: DataSource,
          inject: [SETTINGS],
          useFactory: (settings: DatabaseServiceSettings) => createDataSource(settings.DATABASE_URL).initialize(),
        },
        { provide: TenantDirectory, inject: [DataSource], useFactory: (dataSource: DataSource) => new TenantDirectory(dataSource) },
        ...OVER_THE_POOL.map((type) => ({ provide: type, inject: [DataSource], useFactory: (dataSource: DataSource) => new type(dataSource) })),
      ],
      exports: [DataSource, TenantDirectory, ...OVER_THE_POOL],
    };
  }

  onModuleInit(): void {
    this.health.register('postgres', async () => {
      await this.dataSource.query('select 1');
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
