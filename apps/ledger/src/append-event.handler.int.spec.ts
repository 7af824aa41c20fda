import type { AppendRequest, LedgerEvent } from '@halm/contracts';
import { DEFAULT_MANIFEST, verifyChain } from '@halm/domain';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, ensureLedgerStream, LedgerStore } from '@halm/messaging';
import { Metrics } from '@halm/platform';
import { openTestNats, testNatsUrl, type TestNats } from '@halm/testing';
import pino from 'pino';
import { LedgerWriter } from './ledger-writer';

const openLedgerNats = () => openTestNats(async (connection, names) => ensureLedgerStream(await jetstreamManager(connection), names));

const DEFAULT_POLICY = { version: 1, hash: DEFAULT_MANIFEST.hash };

/** A decision as the gateway records it; a tenant's first one is preceded by the default policy's two events. */
const request = (tenantId: string, eventId: string): AppendRequest => ({
  tenantId,
  eventId,
  type: 'DecisionRecorded',
  recordedAt: '2026-03-15T10:00:00.000Z',
  data: {
    proposal: { proposalId: eventId, tenantId, type: 'task:create', payload: {}, context: {}, submittedAt: '2026-03-15T10:00:00.000Z' },
    decision: { proposalId: eventId, status: 'ALLOW', policy: DEFAULT_POLICY, stateRead: {}, vetoDeadline: null },
  },
});

const GENESIS = ['policy.genesis.published', 'policy.genesis.activated'];
const decisionsOf = (events: LedgerEvent[]) => events.filter((event) => event.type === 'DecisionRecorded');

/** A ledger instance of its own: its own connection, store, head cache and metrics, as a separate process would have. */
const ledgerInstance = async (nats: TestNats, name: string) => {
  const connection = await connectNats(testNatsUrl(), name);
  const metrics = new Metrics(name);
  const handler = new LedgerWriter(await LedgerStore.open(connection, nats.topology), metrics, pino({ level: 'silent' }));
  return {
    handler,
    metrics,
    [Symbol.asyncDispose]: () => connection.close(),
  };
};

const appendOutcomes = async (metrics: Metrics) =>
  Object.fromEntries((await metrics.ledgerAppends.get()).values.map((value) => [value.labels['outcome'], value.value]));

describe('LedgerWriter with two ledger instances on one stream', () => {
  it('leaves one unbroken chain when both append for the same tenant at the same time', async () => {
    await using nats = await openLedgerNats();
    await using first = await ledgerInstance(nats, 'ledger-1');
    await using second = await ledgerInstance(nats, 'ledger-2');

    const replies = await Promise.all(
      Array.from({ length: 60 }, (_, index) => (index % 2 === 0 ? first : second).handler.append(request('tenant-a', `e${index}`))),
    );

    const events = await (await LedgerStore.open(nats.connection, nats.topology)).read('tenant-a');
    expect(events.slice(0, 2).map((event) => event.eventId)).toEqual(GENESIS);
    expect(events).toHaveLength(62);
    expect(events.map((event) => event.height)).toEqual(Array.from({ length: 62 }, (_, index) => index + 1));
    expect(verifyChain(events)).toEqual([]);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(62);
    expect(replies.map((reply) => reply.height).sort((a, b) => a - b)).toEqual(decisionsOf(events).map((event) => event.height));
  });

  it('re-reads the head and chains again when another instance moved it', async () => {
    await using nats = await openLedgerNats();
    await using first = await ledgerInstance(nats, 'ledger-1');
    await using second = await ledgerInstance(nats, 'ledger-2');

    await first.handler.append(request('tenant-a', 'e1'));
    await second.handler.append(request('tenant-a', 'e2'));
    const reply = await first.handler.append(request('tenant-a', 'e3'));

    expect(reply.height).toBe(5);
    expect((await appendOutcomes(first.metrics))['conflict_retried']).toBe(1);
    const events = await (await LedgerStore.open(nats.connection, nats.topology)).read('tenant-a');
    expect(events.map((event) => event.eventId)).toEqual([...GENESIS, 'e1', 'e2', 'e3']);
    expect(verifyChain(events)).toEqual([]);
  });

  it('answers a retried append with the event already recorded instead of appending it again', async () => {
    await using nats = await openLedgerNats();
    await using first = await ledgerInstance(nats, 'ledger-1');
    await using second = await ledgerInstance(nats, 'ledger-2');

    const original = await first.handler.append(request('tenant-a', 'e1'));
    await first.handler.append(request('tenant-a', 'e2'));
    const retried = await second.handler.append(request('tenant-a', 'e1'));

    expect(retried).toEqual({ ...original, duplicate: true });
    const events = await (await LedgerStore.open(nats.connection, nats.topology)).read('tenant-a');
    expect(events.map((event) => event.eventId)).toEqual([...GENESIS, 'e1', 'e2']);
  });

  it('keeps tenants independent: each chain starts with its own default policy', async () => {
    await using nats = await openLedgerNats();
    await using ledger = await ledgerInstance(nats, 'ledger-1');

    await Promise.all([
      ledger.handler.append(request('tenant-a', 'a1')),
      ledger.handler.append(request('tenant-b', 'b1')),
      ledger.handler.append(request('tenant-a', 'a2')),
    ]);

    const store = await LedgerStore.open(nats.connection, nats.topology);
    expect(decisionsOf(await store.read('tenant-a')).map((event) => [event.eventId, event.height])).toEqual([['a1', 3], ['a2', 4]]);
    expect(decisionsOf(await store.read('tenant-b')).map((event) => [event.eventId, event.height])).toEqual([['b1', 3]]);
  });

  it('rejects a malformed append request with BAD_REQUEST', async () => {
    await using nats = await openLedgerNats();
    await using ledger = await ledgerInstance(nats, 'ledger-1');

    expect(() => ledger.handler.append({ ...request('tenant a', 'e1') })).toThrow(/tenantId/);
    expect(() => ledger.handler.append({ ...request('tenant-a', 'e1'), type: 'Forged' as never })).toThrow(/not a ledger event type/);
  });
});
