import { jetstreamManager } from '@nats-io/jetstream';
import { topology } from '@halm/contracts';
import { connectNats, ensureCheckpointStream, ensureLedgerStream, ensureLockdownBucket } from '@halm/messaging';
import { migrate } from '@halm/persistence';

export interface MigrateOptions {
  natsUrl: string;
  databaseUrl: string;
  namespace: string;
  ledgerReplicas: number;
}

/** Brings PostgreSQL's schema and the JetStream ledger and checkpoint streams up to date; safe to run again and concurrently. */
export const runMigrations = async (options: MigrateOptions, log: (line: string) => void): Promise<void> => {
  const applied = await migrate(options.databaseUrl);
  log(applied.length > 0 ? `migrations applied: ${applied.join(', ')}` : 'database schema is up to date');
  const connection = await connectNats(options.natsUrl, 'halm-cli', { user: process.env['NATS_USER'] ?? '', password: process.env['NATS_PASSWORD'] ?? '' });
  try {
    const names = topology(options.namespace);
    await ensureLedgerStream(await jetstreamManager(connection), names, options.ledgerReplicas);
    log(`ledger stream ${names.ledgerStream} is ready (subjects ${names.ledgerSubjects}, replicas ${options.ledgerReplicas})`);
    await ensureCheckpointStream(await jetstreamManager(connection), names, options.ledgerReplicas);
    log(`checkpoint stream ${names.checkpointStream} is ready (subjects ${names.checkpointSubjects}, replicas ${options.ledgerReplicas})`);
    // Services may not create streams in production (infra/nats/accounts.conf): they open the bucket made here.
    await ensureLockdownBucket(connection, names, options.ledgerReplicas);
    log(`lockdown bucket ${names.lockdownBucket} is ready (replicas ${options.ledgerReplicas})`);
  } finally {
    await connection.close();
  }
};
