import { generateKeyPairSync } from 'node:crypto';
import { signCheckpoint, type SignedCheckpoint } from '@halm/domain';
import { createTestDatabase } from '@halm/testing';
import { CheckpointReadModel } from './audit-read-model';
import { CheckpointProjection } from './checkpoint-projection';
import { createDataSource, migrate } from './data-source';

const { privateKey } = generateKeyPairSync('ed25519');

const signed = (tenantId: string, treeSize: number, keyId = 'key-1', issuedAt = `2026-03-15T10:00:${String(treeSize).padStart(2, '0')}.000Z`): SignedCheckpoint =>
  signCheckpoint({ tenantId, treeSize, rootHash: treeSize.toString(16).padStart(64, '0'), issuedAt }, privateKey, keyId);

const openDatabase = async () => {
  const database = await createTestDatabase(migrate);
  const dataSource = await createDataSource(database.url, 4).initialize();
  return {
    dataSource,
    projection: new CheckpointProjection(dataSource),
    checkpoints: new CheckpointReadModel(dataSource),
    rows: () => dataSource.query('SELECT * FROM checkpoints ORDER BY tenant_id, tree_size, key_id'),
    [Symbol.asyncDispose]: async () => {
      await dataSource.destroy();
      await database[Symbol.asyncDispose]();
    },
  };
};

describe('CheckpointProjection on a fresh PostgreSQL database', () => {
  it('stores each checkpoint once, whatever the order and however often it comes', async () => {
    await using db = await openDatabase();
    const [first, second, third] = [signed('tenant-a', 3), signed('tenant-a', 5), signed('tenant-b', 1)];

    await db.projection.apply([second!, first!]);
    await db.projection.apply([first!, third!, second!]);

    expect(await db.rows()).toEqual(
      [first!, second!, third!].map((checkpoint) => ({
        tenant_id: checkpoint.tenantId,
        tree_size: checkpoint.treeSize,
        key_id: checkpoint.keyId,
        root_hash: checkpoint.rootHash,
        issued_at: checkpoint.issuedAt,
        signature: checkpoint.signature,
      })),
    );
    expect(await db.checkpoints.latest('tenant-a')).toEqual(second);
  });

  it('leaves out what is not a well-formed signed checkpoint', async () => {
    await using db = await openDatabase();
    const good = signed('tenant-a', 2);

    await db.projection.apply([{ ...good, extra: true }, { ...good, treeSize: -1 }, { ...good, tenantId: 'a.b' }, 'nonsense', null, good]);

    expect(await db.checkpoints.list('tenant-a', 10)).toEqual([good]);
  });

  it('keeps the issue time as signed, digits beyond microseconds included', async () => {
    await using db = await openDatabase();
    const precise = signed('tenant-a', 2, 'key-1', '2026-03-15T10:00:00.123456789Z');

    await db.projection.apply([precise]);

    expect(await db.checkpoints.ofSize('tenant-a', 2)).toEqual(precise);
  });

  it('finds the latest checkpoint up to a size, one of a size, and pages from the largest tree', async () => {
    await using db = await openDatabase();
    const all = [signed('tenant-a', 1), signed('tenant-a', 4), signed('tenant-a', 4, 'key-2'), signed('tenant-a', 9), signed('tenant-b', 20)];
    await db.projection.apply(all);

    expect(await db.checkpoints.latest('tenant-a', 8)).toEqual(all[2]);
    expect(await db.checkpoints.latest('tenant-a', 0)).toBeUndefined();
    expect(await db.checkpoints.ofSize('tenant-a', 1)).toEqual(all[0]);
    expect(await db.checkpoints.ofSize('tenant-a', 20)).toBeUndefined();
    const page = await db.checkpoints.list('tenant-a', 2);
    expect(page).toEqual([all[3], all[2]]);
    expect(await db.checkpoints.list('tenant-a', 2, { treeSize: 4, keyId: 'key-2' })).toEqual([all[1], all[0]]);
    expect(await db.checkpoints.list('tenant-a', 5, { treeSize: 4 })).toEqual([all[0]]);
  });

  it('rebuilds a table equal to the live one', async () => {
    await using db = await openDatabase();
    const stream = [signed('tenant-a', 1), signed('tenant-b', 2), signed('tenant-a', 3), { not: 'a checkpoint' }, signed('tenant-a', 1)];
    await db.projection.apply([stream[2], stream[0]]);
    await db.projection.apply([stream[1], stream[3], stream[4]]);
    const live = await db.rows();

    const summary = await db.projection.rebuild(async function* () {
      yield* stream;
    });

    expect(summary).toEqual({ messages: 5, checkpoints: 3 });
    expect(await db.rows()).toEqual(live);
  });
});
