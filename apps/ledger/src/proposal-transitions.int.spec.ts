import { jetstreamManager } from '@nats-io/jetstream';
import type { AppendRequest, DecisionStatus, LedgerEventType } from '@halm/contracts';
import { connectNats, ensureLedgerStream, LedgerStore, RpcError } from '@halm/messaging';
import { DEFAULT_MANIFEST } from '@halm/domain';
import { Metrics } from '@halm/platform';
import { openTestNats, testNatsUrl, type TestNats } from '@halm/testing';
import pino from 'pino';
import { LedgerWriter } from './ledger-writer';

const openLedgerNats = () => openTestNats(async (connection, names) => ensureLedgerStream(await jetstreamManager(connection), names));

const ledgerInstance = async (nats: TestNats, name: string) => {
  const connection = await connectNats(testNatsUrl(), name);
  const handler = new LedgerWriter(await LedgerStore.open(connection, nats.topology), new Metrics(name), pino({ level: 'silent' }));
  return { handler, [Symbol.asyncDispose]: () => connection.close() };
};

const DECIDED_AT = '2026-03-15T10:00:00.000Z';
const DEADLINE = '2026-03-15T11:00:00.000Z';

const decision = (proposalId: string, status: DecisionStatus): AppendRequest => ({
  tenantId: 'tenant-a',
  eventId: `${proposalId}.decision`,
  type: 'DecisionRecorded',
  recordedAt: DECIDED_AT,
  data: {
    proposal: { proposalId, tenantId: 'tenant-a', type: 'task:create', payload: {}, context: {}, submittedAt: DECIDED_AT },
    decision: { proposalId, status, vetoDeadline: status === 'HELD_FOR_VETO' ? DEADLINE : null, policy: { version: 1, hash: DEFAULT_MANIFEST.hash }, stateRead: {} },
  },
});

const step = (proposalId: string, type: LedgerEventType, recordedAt: string): AppendRequest => ({
  tenantId: 'tenant-a',
  eventId: `${proposalId}.${type}.${recordedAt}`,
  type,
  recordedAt,
  data: type === 'VetoWindowElapsed' ? { proposalId, vetoDeadline: DEADLINE } : { proposalId, by: { kind: 'key', id: 'key_approver' }, reason: 'checked' },
});

const refusal = async (promise: Promise<unknown>): Promise<RpcError> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error('the append was accepted');
};

describe('the ledger guards each proposal’s approvals and vetoes', () => {
  it('records one approval of a proposal waiting for a human and refuses a second', async () => {
    await using nats = await openLedgerNats();
    await using ledger = await ledgerInstance(nats, 'ledger-1');
    await ledger.handler.append(decision('prop_1', 'REQUIRE_HUMAN'));

    await ledger.handler.append(step('prop_1', 'ProposalApproved', '2026-03-15T10:05:00.000Z'));
    const second = await refusal(ledger.handler.append(step('prop_1', 'ProposalRejected', '2026-03-15T10:06:00.000Z')));

    expect(second).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/not open/) });
  });

  it('refuses to approve a proposal that was allowed outright or is unknown', async () => {
    await using nats = await openLedgerNats();
    await using ledger = await ledgerInstance(nats, 'ledger-1');
    await ledger.handler.append(decision('prop_1', 'ALLOW'));

    expect(await refusal(ledger.handler.append(step('prop_1', 'ProposalApproved', '2026-03-15T10:05:00.000Z')))).toMatchObject({ code: 'CONFLICT' });
    expect(await refusal(ledger.handler.append(step('prop_unknown', 'ProposalApproved', '2026-03-15T10:05:00.000Z')))).toMatchObject({ code: 'CONFLICT' });
  });

  it('accepts a veto only before the deadline and the window’s end only after it', async () => {
    await using nats = await openLedgerNats();
    await using ledger = await ledgerInstance(nats, 'ledger-1');
    await ledger.handler.append(decision('prop_late', 'HELD_FOR_VETO'));
    await ledger.handler.append(decision('prop_early', 'HELD_FOR_VETO'));

    expect(await refusal(ledger.handler.append(step('prop_late', 'ProposalVetoed', DEADLINE)))).toMatchObject({ message: expect.stringMatching(/veto window closed/) });
    expect(await refusal(ledger.handler.append(step('prop_early', 'VetoWindowElapsed', '2026-03-15T10:59:59.999Z')))).toMatchObject({
      message: expect.stringMatching(/open until/),
    });
    await ledger.handler.append(step('prop_late', 'VetoWindowElapsed', DEADLINE));
    await ledger.handler.append(step('prop_early', 'ProposalVetoed', '2026-03-15T10:59:59.999Z'));
    expect(await refusal(ledger.handler.append(step('prop_early', 'VetoWindowElapsed', '2026-03-15T11:00:01.000Z')))).toMatchObject({ code: 'CONFLICT' });
  });

  it('records exactly one of a veto and an elapsed window when two instances race at the deadline', async () => {
    await using nats = await openLedgerNats();
    await using first = await ledgerInstance(nats, 'ledger-1');
    await using second = await ledgerInstance(nats, 'ledger-2');
    await first.handler.append(decision('prop_1', 'HELD_FOR_VETO'));
    await second.handler.append(decision('prop_2', 'HELD_FOR_VETO'));

    // A late veto (recorded after the deadline) races the window's end: both look plausible to their writer.
    const outcomes = await Promise.allSettled([
      first.handler.append(step('prop_1', 'VetoWindowElapsed', DEADLINE)),
      second.handler.append(step('prop_1', 'VetoWindowElapsed', '2026-03-15T11:00:00.500Z')),
      first.handler.append(step('prop_2', 'ProposalVetoed', '2026-03-15T10:59:59.000Z')),
      second.handler.append(step('prop_2', 'VetoWindowElapsed', DEADLINE)),
    ]);

    const events = await (await LedgerStore.open(nats.connection, nats.topology)).read('tenant-a');
    const about = (proposalId: string) => events.filter((event) => (event.data as { proposalId?: string }).proposalId === proposalId).map((event) => event.type);
    expect(about('prop_1')).toEqual(['VetoWindowElapsed']);
    expect(about('prop_2')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(2);
  });

  it('knows the open proposals of a tenant after a restart, from the ledger alone', async () => {
    await using nats = await openLedgerNats();
    {
      await using before = await ledgerInstance(nats, 'ledger-before');
      await before.handler.append(decision('prop_1', 'REQUIRE_HUMAN'));
      await before.handler.append(decision('prop_2', 'REQUIRE_HUMAN'));
      await before.handler.append(step('prop_2', 'ProposalApproved', '2026-03-15T10:05:00.000Z'));
    }
    await using after = await ledgerInstance(nats, 'ledger-after');

    await after.handler.append(step('prop_1', 'ProposalRejected', '2026-03-15T10:06:00.000Z'));
    expect(await refusal(after.handler.append(step('prop_2', 'ProposalRejected', '2026-03-15T10:06:00.000Z')))).toMatchObject({ code: 'CONFLICT' });
  });
});
