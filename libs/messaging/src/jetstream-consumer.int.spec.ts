import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { eventually, openTestNats, type TestNats } from '@halm/testing';
import pino from 'pino';
import { consumeInBatches, ensureDurableConsumer, Verdicts, type Verdict } from './jetstream-consumer';

const logger = pino({ level: 'silent' });

/** A work stream of the test's own namespace (removed with it) and a durable consumer on it. */
const openWork = async () => {
  const nats = await openTestNats();
  const stream = `WORK${nats.topology.ledgerStream.slice('LEDGER'.length)}`;
  const subject = `${nats.topology.namespace}.work`;
  const manager = await jetstreamManager(nats.connection);
  await manager.streams.add({ name: stream, subjects: [subject] });
  await ensureDurableConsumer(manager, { stream, durable: 'test--work', ackWaitMs: 30_000 });
  const publish = async (...bodies: string[]) => {
    for (const body of bodies) await jetstream(nats.connection).publish(subject, body);
  };
  return { nats, manager, stream, publish, [Symbol.asyncDispose]: () => nats[Symbol.asyncDispose]() };
};

const start = (work: { nats: TestNats; stream: string }, handle: (items: { n: number }[]) => Promise<Verdict[]>, gatherMs = 0) =>
  consumeInBatches({
    connection: work.nats.connection,
    stream: work.stream,
    durable: 'test--work',
    maxBatch: 10,
    decode: (message) => {
      const item = message.json<{ n: number }>();
      if (typeof item.n !== 'number') throw new Error('no n');
      return item;
    },
    handle,
    retryDelayMs: 50,
    gatherMs,
    logger,
  });

describe('consumeInBatches with explicit ack, nak and term', () => {
  it('creates the durable consumer once, however many instances ask at the same time', async () => {
    await using work = await openWork();

    await Promise.all(Array.from({ length: 4 }, () => ensureDurableConsumer(work.manager, { stream: work.stream, durable: 'test--other', ackWaitMs: 5_000 })));

    const info = await work.manager.consumers.info(work.stream, 'test--other');
    expect(info.config).toMatchObject({ durable_name: 'test--other', ack_policy: 'explicit', ack_wait: 5_000_000_000, max_deliver: -1, deliver_policy: 'all' });
  });

  it('delivers a nak’d message again and an acked one never', async () => {
    await using work = await openWork();
    const seen: number[] = [];
    const consumer = await start(work, async (items) => {
      seen.push(...items.map((item) => item.n));
      // the first delivery of 2 is handed back; everything else is done
      return items.map((item) => (item.n === 2 && seen.filter((n) => n === 2).length === 1 ? Verdicts.nak(20) : Verdicts.ack()));
    });
    try {
      await work.publish('{"n":1}', '{"n":2}', '{"n":3}');

      await eventually(async () => (seen.filter((n) => n === 2).length === 2 ? true : undefined), 10_000, 'the redelivery');
      const info = await eventually(async () => {
        const current = await work.manager.consumers.info(work.stream, 'test--work');
        return current.num_ack_pending === 0 && current.num_pending === 0 ? current : undefined;
      });
      expect([...seen].sort()).toEqual([1, 2, 2, 3]);
      expect(info.delivered.stream_seq).toBe(3);
    } finally {
      await consumer.stop();
    }
  });

  it('delivers a whole batch again when handling it fails, and terminates what it cannot decode', async () => {
    await using work = await openWork();
    let attempts = 0;
    const handled: number[] = [];
    const consumer = await start(work, async (items) => {
      attempts += 1;
      if (attempts === 1) throw new Error('database down');
      handled.push(...items.map((item) => item.n));
      return items.map(() => Verdicts.ack());
    });
    try {
      await work.publish('{"n":1}', 'not json', '{"n":2}');

      await eventually(async () => (handled.length === 2 ? true : undefined), 10_000, 'the batch handled after the failure');
      await eventually(async () => {
        const current = await work.manager.consumers.info(work.stream, 'test--work');
        return current.num_ack_pending === 0 && current.num_pending === 0 ? current : undefined;
      });
      expect(handled.sort()).toEqual([1, 2]);
      expect(attempts).toBeGreaterThanOrEqual(2);
    } finally {
      await consumer.stop();
    }
  });

  it('handles a message after a quiet spell at once, and gathers those that follow it into the next batch', async () => {
    await using work = await openWork();
    const batches: number[][] = [];
    const consumer = await start(
      work,
      async (items) => {
        batches.push(items.map((item) => item.n));
        return items.map(() => Verdicts.ack());
      },
      3_000,
    );
    try {
      await work.publish('{"n":1}');
      await eventually(async () => (batches.length === 1 ? true : undefined), 10_000, 'the first message handled');
      await work.publish('{"n":2}', '{"n":3}', '{"n":4}');

      await eventually(async () => (batches.length === 2 ? true : undefined), 10_000, 'the next batch handled');
      expect(batches).toEqual([[1], [2, 3, 4]]);
    } finally {
      await consumer.stop();
    }
  });

  it('shares the messages between two instances of one durable consumer', async () => {
    await using work = await openWork();
    const byInstance: number[][] = [[], []];
    const slowAck = (instance: number) => async (items: { n: number }[]) => {
      byInstance[instance]!.push(...items.map((item) => item.n));
      await new Promise((resolve) => setTimeout(resolve, 20));
      return items.map(() => Verdicts.ack());
    };
    const first = await start(work, slowAck(0));
    const second = await start(work, slowAck(1));
    try {
      await work.publish(...Array.from({ length: 100 }, (_, n) => JSON.stringify({ n })));

      await eventually(async () => (byInstance[0]!.length + byInstance[1]!.length === 100 ? true : undefined), 20_000, 'every message handled');
      expect([...byInstance[0]!, ...byInstance[1]!].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, n) => n));
      expect(byInstance.every((handled) => handled.length > 0)).toBe(true);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
