import { topology } from '@halm/contracts';
import { connectNats, readWholeLedger } from '@halm/messaging';
import { createDataSource, ProposalProjection, type RebuildSummary } from '@halm/persistence';

export interface ProjectionsOptions {
  natsUrl: string;
  databaseUrl: string;
  namespace: string;
}

/**
 * `./halm projections rebuild`: empties the PostgreSQL projections and applies the whole
 * ledger stream again, in one transaction, while everything keeps running (readers and the
 * live projectors wait for the commit, then carry on from the rebuilt heads).
 */
export const rebuildProjections = async (options: ProjectionsOptions, log: (line: string) => void): Promise<RebuildSummary> => {
  const connection = await connectNats(options.natsUrl, 'halm-cli', { user: process.env['NATS_USER'] ?? '', password: process.env['NATS_PASSWORD'] ?? '' });
  const dataSource = await createDataSource(options.databaseUrl, 2).initialize();
  try {
    const names = topology(options.namespace);
    const started = performance.now();
    const summary = await new ProposalProjection(dataSource).rebuild(() => readWholeLedger(connection, names));
    log(
      `projections rebuilt from ${summary.events} events of ${names.ledgerStream}: ${summary.proposals} proposals, ${summary.tenants} tenants ` +
        `(${Math.round(performance.now() - started)} ms)`,
    );
    return summary;
  } finally {
    await dataSource.destroy();
    await connection.close();
  }
};
