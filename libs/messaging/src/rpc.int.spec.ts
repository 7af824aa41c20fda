import { openTestNats } from '@halm/testing';
import { RpcClient, RpcError, type RpcReply } from './rpc';

describe('RpcClient on the real NATS', () => {
  it('gives each of many concurrent requests its own answer', async () => {
    await using nats = await openTestNats();
    const subject = `${nats.topology.namespace}.echo.req.double`;
    nats.connection.subscribe(subject, {
      callback: (_error, message) => {
        const { n } = message.json<{ n: number }>();
        // Answers out of order, so that a mix-up between requests would show.
        setTimeout(() => message.respond(JSON.stringify({ ok: true, value: n * 2 } satisfies RpcReply<number>)), n % 3);
      },
    });
    await nats.connection.flush();
    const client = new RpcClient(nats.connection);

    const answers = await Promise.all(Array.from({ length: 50 }, (_, n) => client.request<{ n: number }, number>(subject, { n }, 5_000)));

    expect(answers).toEqual(Array.from({ length: 50 }, (_, n) => n * 2));
  });

  it('raises the failure the responder reported, with its code', async () => {
    await using nats = await openTestNats();
    const subject = `${nats.topology.namespace}.echo.req.refuse`;
    nats.connection.subscribe(subject, {
      callback: (_error, message) => {
        message.respond(JSON.stringify({ ok: false, error: { code: 'CONFLICT', message: 'the ledger moved' } } satisfies RpcReply<never>));
      },
    });
    await nats.connection.flush();

    const failure = await new RpcClient(nats.connection).request(subject, {}, 5_000).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(RpcError);
    expect(failure).toMatchObject({ code: 'CONFLICT', message: 'the ledger moved' });
  });

  it('says so at once when no service subscribes to the subject', async () => {
    await using nats = await openTestNats();
    const subject = `${nats.topology.namespace}.nobody.req.here`;

    const failure = await new RpcClient(nats.connection).request(subject, {}, 60_000).catch((error: unknown) => error);

    expect(failure).toMatchObject({ code: 'UNAVAILABLE', message: `no service answers ${subject}` });
  });

  it('gives up after the timeout when the responder never answers, and ignores its late answer', async () => {
    await using nats = await openTestNats();
    const subject = `${nats.topology.namespace}.slow.req.answer`;
    const late: (() => void)[] = [];
    nats.connection.subscribe(subject, {
      callback: (_error, message) => {
        late.push(() => message.respond(JSON.stringify({ ok: true, value: 'late' })));
      },
    });
    await nats.connection.flush();
    const client = new RpcClient(nats.connection);

    const failure = await client.request(subject, {}, 100).catch((error: unknown) => error);
    late.forEach((answer) => answer());
    await nats.connection.flush();

    expect(failure).toMatchObject({ code: 'UNAVAILABLE', message: `no answer on ${subject} within 100 ms` });
    nats.connection.subscribe(`${subject}.next`, {
      callback: (_error, message) => {
        message.respond(JSON.stringify({ ok: true, value: 'next' }));
      },
    });
    await nats.connection.flush();
    await expect(client.request(`${subject}.next`, {}, 5_000)).resolves.toBe('next');
  });
});
