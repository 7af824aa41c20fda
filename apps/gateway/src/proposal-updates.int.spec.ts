import type { ProposalLifecycle, ProposalRow } from '@halm/domain';
import { openTestNats, type TestNats } from '@halm/testing';
import pino from 'pino';
import { ProposalUpdates } from './proposal-updates';

const rowIn = (lifecycle: ProposalLifecycle): ProposalRow => ({ proposalId: 'prop_1', tenantId: 'tenant-a', lifecycle }) as ProposalRow;

/** A projection stand-in: the row a read returns, changed by the test as the projector would change it. */
const projection = (initial: ProposalRow | undefined) => {
  let row = initial;
  let reads = 0;
  return {
    read: async () => {
      reads += 1;
      return row;
    },
    set: (next: ProposalRow | undefined) => (row = next),
    reads: () => reads,
  };
};

const announce = async (nats: TestNats, tenantId: string, proposalId: string, lifecycle: ProposalLifecycle) => {
  nats.connection.publish(nats.topology.proposalUpdatedSubject(tenantId), JSON.stringify({ proposalId, lifecycle }));
  await nats.connection.flush();
};

const openUpdates = async () => {
  const nats = await openTestNats();
  const updates = new ProposalUpdates(nats.connection, nats.topology, pino({ level: 'silent' }));
  updates.onModuleInit();
  await nats.connection.flush();
  return {
    nats,
    updates,
    [Symbol.asyncDispose]: async () => {
      updates.onModuleDestroy();
      await nats[Symbol.asyncDispose]();
    },
  };
};

const elapsed = async <T>(work: Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = performance.now();
  const value = await work;
  return { value, ms: performance.now() - started };
};

describe('ProposalUpdates: long-polls woken by the projection’s notifications', () => {
  it('answers at once for a proposal that is no longer open', async () => {
    await using gateway = await openUpdates();
    const stored = projection(rowIn('APPROVED'));

    const { value, ms } = await elapsed(gateway.updates.waitFor('tenant-a', 'prop_1', 5_000, stored.read));

    expect(value?.lifecycle).toBe('APPROVED');
    expect(ms).toBeLessThan(1_000);
    expect(stored.reads()).toBe(1);
  });

  it('answers with the new state as soon as the proposal changes, and ignores other proposals and tenants', async () => {
    await using gateway = await openUpdates();
    const stored = projection(rowIn('PENDING_APPROVAL'));

    const waiting = elapsed(gateway.updates.waitFor('tenant-a', 'prop_1', 10_000, stored.read));
    await announce(gateway.nats, 'tenant-a', 'prop_2', 'APPROVED');
    await announce(gateway.nats, 'tenant-b', 'prop_1', 'APPROVED');
    stored.set(rowIn('APPROVED'));
    await announce(gateway.nats, 'tenant-a', 'prop_1', 'APPROVED');
    const { value, ms } = await waiting;

    expect(value?.lifecycle).toBe('APPROVED');
    expect(ms).toBeLessThan(5_000);
    // the first read, and one after the notification: nothing polls the projection
    expect(stored.reads()).toBe(2);
  });

  it('waits for a proposal not projected yet, and on while it is still open', async () => {
    await using gateway = await openUpdates();
    const stored = projection(undefined);

    const waiting = gateway.updates.waitFor('tenant-a', 'prop_1', 10_000, stored.read);
    stored.set(rowIn('PENDING_APPROVAL'));
    await announce(gateway.nats, 'tenant-a', 'prop_1', 'PENDING_APPROVAL');
    stored.set(rowIn('REJECTED'));
    await announce(gateway.nats, 'tenant-a', 'prop_1', 'REJECTED');

    expect((await waiting)?.lifecycle).toBe('REJECTED');
    expect(stored.reads()).toBe(3);
  });

  it('answers with the state it has when the time is up', async () => {
    await using gateway = await openUpdates();
    const stored = projection(rowIn('HELD_FOR_VETO'));

    const { value, ms } = await elapsed(gateway.updates.waitFor('tenant-a', 'prop_1', 300, stored.read));

    expect(value?.lifecycle).toBe('HELD_FOR_VETO');
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(2_000);
  });

  it('stops waiting when the client hangs up, or the gateway stops', async () => {
    await using gateway = await openUpdates();
    const stored = projection(rowIn('PENDING_APPROVAL'));
    const hungUp = new AbortController();

    const abandoned = elapsed(gateway.updates.waitFor('tenant-a', 'prop_1', 20_000, stored.read, hungUp.signal));
    const stopped = elapsed(gateway.updates.waitFor('tenant-a', 'prop_1', 20_000, stored.read));
    hungUp.abort();
    expect((await abandoned).ms).toBeLessThan(2_000);
    gateway.updates.onModuleDestroy();

    expect((await stopped).ms).toBeLessThan(2_000);
    expect((await stopped).value?.lifecycle).toBe('PENDING_APPROVAL');
  });
});
