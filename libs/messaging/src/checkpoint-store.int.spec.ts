import { jetstreamManager } from '@nats-io/jetstream';
import { chain, EMPTY_HEAD, headOf } from '@halm/domain';
import { openTestNats } from '@halm/testing';
import { type CheckpointMessage, CheckpointRaceError, CheckpointStore, ensureCheckpointStream } from './checkpoint-store';
import { ensureLedgerStream, LedgerStore } from './ledger-store';

const openCheckpointNats = () =>
  openTestNats(async (connection, names) => {
    const manager = await jetstreamManager(connection);
    await ensureLedgerStream(manager, names);
    await ensureCheckpointStream(manager, names);
  });

// The store neither signs nor checks: any checkpoint-shaped message will do here.
const checkpoint = (tenantId: string, treeSize: number, keyId = 'key-1'): CheckpointMessage => ({
  tenantId,
  treeSize,
  rootHash: treeSize.toString(16).padStart(64, '0'),
  issuedAt: `2026-03-15T10:00:0${treeSize % 10}.000Z`,
  keyId,
  signature: 'A'.repeat(86),
});

describe('CheckpointStore on a real JetStream stream', () => {
  it('keeps one copy of a checkpoint published twice with the same tenant, size and key', async () => {
    await using nats = await openCheckpointNats();
    const store = await CheckpointStore.open(nats.connection, nats.topology);

    const first = await store.publish(checkpoint('tenant-a', 3));
    const again = await store.publish({ ...checkpoint('tenant-a', 3), issuedAt: '2026-03-15T10:05:00.000Z' });
    await store.publish(checkpoint('tenant-a', 3, 'key-2'));

    expect(again).toEqual({ sequence: first.sequence, duplicate: true });
    expect(await store.readAll('tenant-a')).toEqual([checkpoint('tenant-a', 3), checkpoint('tenant-a', 3, 'key-2')]);
  });

  it('answers the latest checkpoint of each tenant, and every one in publishing order', async () => {
    await using nats = await openCheckpointNats();
    const store = await CheckpointStore.open(nats.connection, nats.topology);

    await store.publish(checkpoint('tenant-a', 1));
    await store.publish(checkpoint('tenant-b', 5));
    const latest = await store.publish(checkpoint('tenant-a', 2));

    expect(await store.latest('tenant-a')).toEqual({ checkpoint: checkpoint('tenant-a', 2), sequence: latest.sequence });
    expect(await store.latest('tenant-c')).toBeNull();
    expect((await store.readAll('tenant-a')).map((stored) => stored.treeSize)).toEqual([1, 2]);
    expect(await store.readAll('tenant-c')).toEqual([]);
  });

  it('refuses a checkpoint when another was published since the one expected', async () => {
    await using nats = await openCheckpointNats();
    const store = await CheckpointStore.open(nats.connection, nats.topology);
    const first = await store.publish(checkpoint('tenant-a', 1), 0);
    await store.publish(checkpoint('tenant-a', 2), first.sequence);

    await expect(store.publish(checkpoint('tenant-a', 3), first.sequence)).rejects.toBeInstanceOf(CheckpointRaceError);
    expect((await store.readAll('tenant-a')).map((stored) => stored.treeSize)).toEqual([1, 2]);
  });

  it('counts each tenant’s events on the ledger stream without reading them', async () => {
    await using nats = await openCheckpointNats();
    const ledger = await LedgerStore.open(nats.connection, nats.topology);
    const append = async (tenantId: string, count: number) => {
      let head = EMPTY_HEAD;
      let sequence = 0;
      for (let index = 1; index <= count; index += 1) {
        const event = chain(head, { tenantId, eventId: `e${index}`, type: 'DecisionRecorded', recordedAt: '2026-03-15T10:00:00.000Z', data: {} });
        sequence = (await ledger.append(event, sequence, `${tenantId}:e${index}`)).sequence;
        head = headOf(event);
      }
    };
    await append('tenant-a', 3);
    await append('tenant-b', 1);

    const sizes = await (await CheckpointStore.open(nats.connection, nats.topology)).ledgerSizes();

    expect(Object.fromEntries(sizes)).toEqual({ 'tenant-a': 3, 'tenant-b': 1 });
  });

  it('creates the stream so that nothing in it can be deleted or purged', async () => {
    await using nats = await openCheckpointNats();
    const manager = await jetstreamManager(nats.connection);
    await ensureCheckpointStream(manager, nats.topology);

    const { config } = await manager.streams.info(nats.topology.checkpointStream);

    expect(config).toMatchObject({ subjects: [nats.topology.checkpointSubjects], deny_delete: true, deny_purge: true, allow_direct: true, max_age: 0 });
  });
});
