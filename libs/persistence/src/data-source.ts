import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ApiKeyEntity } from './entities/api-key.entity';
import { ApprovalEntity } from './entities/approval.entity';
import { CheckpointEntity } from './entities/checkpoint.entity';
import { DecisionEntity } from './entities/decision.entity';
import { ExecutionEntity } from './entities/execution.entity';
import { IncidentEntity } from './entities/incident.entity';
import { IntegrityProposalEntity } from './entities/integrity-proposal.entity';
import { IntegrityResultEntity } from './entities/integrity-result.entity';
import { IntegrityRunEntity } from './entities/integrity-run.entity';
import { IntegrityStateEntity } from './entities/integrity-state.entity';
import { LedgerEventEntity } from './entities/ledger-event.entity';
import { LedgerProjectionHeadEntity } from './entities/ledger-projection-head.entity';
import { ProposalEntity } from './entities/proposal.entity';
import { TenantEntity } from './entities/tenant.entity';
import { TenantsAndApiKeys1763700000000 } from './migrations/1763700000000-tenants-and-api-keys';
import { ProposalProjection1763800000000 } from './migrations/1763800000000-proposal-projection';
import { LedgerReadModels1763820000000 } from './migrations/1763820000000-ledger-read-models';
import { IntegrityRunsAndIncidents1763950000000 } from './migrations/1763950000000-integrity-runs-and-incidents';
import { IntegrityProposals1763960000000 } from './migrations/1763960000000-integrity-proposals';

export const ENTITIES = [
  TenantEntity,
  ApiKeyEntity,
  ProposalEntity,
  LedgerProjectionHeadEntity,
  LedgerEventEntity,
  DecisionEntity,
  ApprovalEntity,
  ExecutionEntity,
  CheckpointEntity,
  IntegrityRunEntity,
  IntegrityResultEntity,
  IntegrityStateEntity,
  IncidentEntity,
  IntegrityProposalEntity,
];
export const MIGRATIONS = [TenantsAndApiKeys1763700000000, ProposalProjection1763800000000, LedgerReadModels1763820000000, IntegrityRunsAndIncidents1763950000000, IntegrityProposals1763960000000];

/** A data source over Halm's tables. The schema changes only through migrations, never `synchronize`. */
export const createDataSource = (url: string, poolSize = 10): DataSource =>
  new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'halm_migrations',
    synchronize: false,
    logging: false,
    extra: { max: poolSize, connectionTimeoutMillis: 5_000 },
  });

/** Applies every pending migration, under PostgreSQL's migration lock so concurrent runs are safe. */
export const migrate = async (url: string): Promise<string[]> => {
  const dataSource = await createDataSource(url, 2).initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
};
