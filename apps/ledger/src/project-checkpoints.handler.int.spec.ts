import { generateKeyPairSync } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { signCheckpoint, type SignedCheckpoint } from '@halm/domain';
import { CheckpointStore, connectNats, ensureCheckpointStream } from '@halm/messaging';
import { CheckpointProjection, createDataSource, migrate } from '@halm/persistence';
import { createTestDatabase, eventually, openTestNats, testNatsUrl, type TestDatabase, type TestNats } from '@halm/testing';
import pino from 'pino';
import { CHECKPOINT_PROJECTION_CONSUMER, ProjectCheckpointsHandler } from './project-checkpoints.handler';

const { privateKey } = generateKeyPairSync('ed25519');

const signed = (tenantId: string, treeSize: number): SignedCheckpoint =>
  signCheckpoint({ tenantId, treeSize, rootHash: treeSize.toString(16).padStart(64, '0'), issuedAt: '2026-03-15T10:00:00.000Z' }, privateKey, 'key-1');

/** A ledger instance's checkpoint projector: its own connection and pool, as a separate process would have. */
const projector = async (nats: TestNats, database: TestDatabase, name: string) => {
  const connection = await connectNats(testNatsUrl(), name);
  const dataSource = await createDataSource(database.url, 2).initialize();
  const handler = new ProjectCheckpointsHandler(connection, nats.topology, new CheckpointProjection(dataSource), pino({ level: 'silent' }));
  return {
    handler,
    dataSource,
    rows: (): Promise<{ tenant_id: string; tree_size: number }[]> => dataSource.query('SELECT tenant_id, tree_size FROM checkpoints ORDER BY tenant_id, tree_size'),
    [Symbol.asyncDispose]: async () => {
      await handler.stop();
      await connection.close();
      await dataSource.destroy();
    },
  };
};

const openCheckpointNats = () => openTestNats(async (connection, names) => ensureCheckpointStream(await jetstreamManager(connection), names));

describe('the ledger’s checkpoint projector on the real NATS and PostgreSQL', () => {
  it('stores every checkpoint published, once, and terminates what is no checkpoint', async () => {
    await using nats = await openCheckpointNats();
    await using database = await createTestDatabase(migrate);
    await using first = await projector(nats, database, 'ledger-1');
    await using second = await projector(nats, database, 'ledger-2');
    await first.handler.start({ maxBatch: 3 });
    await second.handler.start({ maxBatch: 3 });
    const store = await CheckpointStore.open(nats.connection, nats.topology);

    for (let size = 1; size <= 6; size += 1) await store.publish(signed(size % 2 === 0 ? 'tenant-a' : 'tenant-b', size));
    await jetstream(nats.connection).publish(nats.topology.checkpointSubject('tenant-a'), '{"tenantId":"tenant-a","treeSize":"many"}');
    await store.publish(signed('tenant-a', 8));

    const expected = [2, 4, 6, 8].map((size) => ({ tenant_id: 'tenant-a', tree_size: size })).concat([1, 3, 5].map((size) => ({ tenant_id: 'tenant-b', tree_size: size })));
    await eventually(async () => ((await first.rows()).length === 7 ? true : undefined), 10_000, 'every checkpoint stored');
    expect(await first.rows()).toEqual(expected);
    await eventually(
      async () => {
        const consumer = await (await jetstreamManager(nats.connection)).consumers.info(nats.topology.checkpointStream, CHECKPOINT_PROJECTION_CONSUMER);
        return consumer.num_ack_pending === 0 && consumer.num_pending === 0 ? true : undefined;
      },
      10_000,
      'every message settled',
    );
  });

  it('starts by itself once the checkpoint stream is created, and a redelivered stream changes nothing', async () => {
    await using nats = await openTestNats();
    await using database = await createTestDatabase(migrate);
    {
      await using ledger = await projector(nats, database, 'ledger-1');
      ledger.handler.onApplicationBootstrap();
      await ensureCheckpointStream(await jetstreamManager(nats.connection), nats.topology);
      const store = await CheckpointStore.open(nats.connection, nats.topology);
      await store.publish(signed('tenant-a', 1));
      await store.publish(signed('tenant-a', 2));
      await eventually(async () => ((await ledger.rows()).length === 2 ? true : undefined), 15_000, 'the checkpoints stored');
    }
    await (await jetstreamManager(nats.connection)).consumers.delete(nats.topology.checkpointStream, CHECKPOINT_PROJECTION_CONSUMER);

    await using again = await projector(nats, database, 'ledger-1');
    await again.handler.start();
    await eventually(
      async () => {
        const consumer = await (await jetstreamManager(nats.connection)).consumers.info(nats.topology.checkpointStream, CHECKPOINT_PROJECTION_CONSUMER);
        return consumer.delivered.stream_seq === 2 && consumer.num_ack_pending === 0 ? true : undefined;
      },
      10_000,
      'the stream delivered again',
    );

    expect(await again.rows()).toEqual([
      { tenant_id: 'tenant-a', tree_size: 1 },
      { tenant_id: 'tenant-a', tree_size: 2 },
    ]);
  });
});
