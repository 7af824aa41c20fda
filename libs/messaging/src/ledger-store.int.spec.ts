import { jetstreamManager } from '@nats-io/jetstream';
import type { LedgerEvent } from '@halm/contracts';
import { chain, EMPTY_HEAD, headOf, verifyChain } from '@halm/domain';
import { openTestNats } from '@halm/testing';
import { ensureLedgerStream, LedgerStore, StaleHeadError } from './ledger-store';

const openLedgerNats = () => openTestNats(async (connection, names) => ensureLedgerStream(await jetstreamManager(connection), names));

const draft = (tenantId: string, eventId: string) => ({
  tenantId,
  eventId,
  type: 'DecisionRecorded' as const,
  recordedAt: '2026-03-15T10:00:00.000Z',
  data: { n: eventId },
});

describe('LedgerStore on a real JetStream stream', () => {
  it('does not duplicate a retried append with the same message id', async () => {
    await using nats = await openLedgerNats();
    const store = await LedgerStore.open(nats.connection, nats.topology);
    const event = chain(EMPTY_HEAD, draft('tenant-a', 'e1'));

    const first = await store.append(event, 0, 'tenant-a:e1');
    const retry = await store.append(event, 0, 'tenant-a:e1');

    expect(first.duplicate).toBe(false);
    expect(retry).toEqual({ sequence: first.sequence, duplicate: true });
    expect(await store.read('tenant-a')).toEqual([event]);
  });

  it('rejects an append whose expected sequence is stale, leaving the chain unforked', async () => {
    await using nats = await openLedgerNats();
    const store = await LedgerStore.open(nats.connection, nats.topology);
    const first = chain(EMPTY_HEAD, draft('tenant-a', 'e1'));
    await store.append(first, 0, 'tenant-a:e1');
    const competing = chain(EMPTY_HEAD, draft('tenant-a', 'e2'));

    await expect(store.append(competing, 0, 'tenant-a:e2')).rejects.toBeInstanceOf(StaleHeadError);

    const head = await store.head('tenant-a');
    const second = chain(head, draft('tenant-a', 'e2'));
    await store.append(second, head.sequence, 'tenant-a:e2');
    const events = await store.read('tenant-a');
    expect(events.map((event) => event.eventId)).toEqual(['e1', 'e2']);
    expect(verifyChain(events)).toEqual([]);
  });

  it('keeps one chain per tenant, each starting at height 1', async () => {
    await using nats = await openLedgerNats();
    const store = await LedgerStore.open(nats.connection, nats.topology);
    const appendFor = async (tenantId: string, eventId: string) => {
      const head = await store.head(tenantId);
      await store.append(chain(head, draft(tenantId, eventId)), head.sequence, `${tenantId}:${eventId}`);
    };
    await appendFor('tenant-a', 'a1');
    await appendFor('tenant-b', 'b1');
    await appendFor('tenant-a', 'a2');
    await appendFor('tenant-b', 'b2');

    const chainA = await store.read('tenant-a');
    const chainB = await store.read('tenant-b');
    expect(chainA.map((event) => [event.eventId, event.height])).toEqual([['a1', 1], ['a2', 2]]);
    expect(chainB.map((event) => [event.eventId, event.height])).toEqual([['b1', 1], ['b2', 2]]);
    expect(verifyChain(chainA)).toEqual([]);
    expect(verifyChain(chainB)).toEqual([]);
    expect((await store.head('tenant-a')).hash).toBe(headOf(chainA[1] as LedgerEvent).hash);
  });

  it('refuses to delete or purge ledger messages', async () => {
    await using nats = await openLedgerNats();
    const store = await LedgerStore.open(nats.connection, nats.topology);
    const appended = await store.append(chain(EMPTY_HEAD, draft('tenant-a', 'e1')), 0, 'tenant-a:e1');
    const manager = await jetstreamManager(nats.connection);

    await expect(manager.streams.deleteMessage(nats.topology.ledgerStream, appended.sequence)).rejects.toThrow();
    await expect(manager.streams.purge(nats.topology.ledgerStream)).rejects.toThrow();
    expect(await store.read('tenant-a')).toHaveLength(1);
  });
});
