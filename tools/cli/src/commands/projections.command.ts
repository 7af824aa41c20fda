import { DeliverPolicy, jetstream, jetstreamManager, JetStreamApiError } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { topology, type Topology } from '@halm/contracts';
import { connectNats, readWholeLedger } from '@halm/messaging';
import { CheckpointProjection, createDataSource, ProposalProjection, type RebuildSummary } from '@halm/persistence';

export interface ProjectionsOptions {
  natsUrl: string;
  databaseUrl: string;
  namespace: string;
}

export interface ProjectionsRebuildSummary extends RebuildSummary {
  checkpoints: number;
}

const STREAM_NOT_FOUND = 10059;

/**
 * Every message body of the checkpoint stream, all tenants, in stream order, up to the last one
 * stored when iteration starts (parsed JSON; the projection decides what is a checkpoint). No
 * stream yet means no checkpoints yet.
 */
export async function* readWholeCheckpointStream(connection: NatsConnection, names: Topology): AsyncGenerator<unknown> {
  const manager = await jetstreamManager(connection);
  const info = await manager.streams.info(names.checkpointStream).catch((error: unknown) => {
    if (error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND) return null;
    throw error;
  });
  const last = info?.state.last_seq ?? 0;
  if (last === 0 || info?.state.messages === 0) return;
  const consumer = await jetstream(connection).consumers.get(names.checkpointStream, { deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume();
  try {
    for await (const message of messages) {
      let body: unknown;
      try {
        body = message.json<unknown>();
      } catch {
        body = undefined;
      }
      yield body;
      if (message.seq >= last) break;
    }
  } finally {
    await messages.close();
    await consumer.delete().catch(() => undefined);
  }
}

/**
 * `./halm projections rebuild`: empties the PostgreSQL projections and applies the whole
 * ledger stream again (the events, proposals, decisions, approvals, executions and each
 * tenant's head, in one transaction), then the whole checkpoint stream (the checkpoints, in a
 * second one), while everything keeps running: readers and the live projectors wait for each
 * commit, then carry on from the rebuilt state.
 */
export const rebuildProjections = async (options: ProjectionsOptions, log: (line: string) => void): Promise<ProjectionsRebuildSummary> => {
  const connection = await connectNats(options.natsUrl, 'halm-cli', { user: process.env['NATS_USER'] ?? '', password: process.env['NATS_PASSWORD'] ?? '' });
  const dataSource = await createDataSource(options.databaseUrl, 2).initialize();
  try {
    const names = topology(options.namespace);
    let started = performance.now();
    const summary = await new ProposalProjection(dataSource).rebuild(() => readWholeLedger(connection, names));
    log(
      `projections rebuilt from ${summary.events} events of ${names.ledgerStream}: ${summary.proposals} proposals, ${summary.decisions} decisions, ` +
        `${summary.approvals} approvals, ${summary.executions} executions, ${summary.tenants} tenants (${Math.round(performance.now() - started)} ms)`,
    );
    started = performance.now();
    const { messages, checkpoints } = await new CheckpointProjection(dataSource).rebuild(() => readWholeCheckpointStream(connection, names));
    log(`checkpoints rebuilt from ${messages} messages of ${names.checkpointStream}: ${checkpoints} checkpoints (${Math.round(performance.now() - started)} ms)`);
    return { ...summary, checkpoints };
  } finally {
    await dataSource.destroy();
    await connection.close();
  }
};
