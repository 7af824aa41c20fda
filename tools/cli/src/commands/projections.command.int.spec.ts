import { jetstreamManager } from '@nats-io/jetstream';
import type { LedgerEvent } from '@halm/contracts';
import { chain, type EventDraft } from '@halm/domain';
import { ensureLedgerStream, LedgerStore } from '@halm/messaging';
import { createDataSource, migrate, ProposalProjection } from '@halm/persistence';
import { createTestDatabase, openTestNats, testNatsUrl } from '@halm/testing';
import type { DataSource } from 'typeorm';
import { rebuildProjections } from './projections.command';

const AT = '2026-03-15T10:00:00.000Z';

const decision = (tenantId: string, proposalId: string, status: 'ALLOW' | 'REQUIRE_HUMAN' | 'HELD_FOR_VETO'): EventDraft => ({
  tenantId,
  eventId: `${proposalId}.decision`,
  type: 'DecisionRecorded',
  recordedAt: AT,
  data: {
    proposal: { proposalId, tenantId, type: 'task:create', payload: {}, context: { sessionId: 's1' }, submittedAt: AT },
    decision: {
      proposalId,
      status,
      allowed: status === 'ALLOW',
      reasons: [],
      constraints: {},
      vetoDeadline: status === 'HELD_FOR_VETO' ? '2026-03-15T11:00:00.000Z' : null,
      humanApprovalRequired: status === 'REQUIRE_HUMAN',
      decidedAt: AT,
      policy: { version: 1, hash: 'h' },
      matchedRules: [],
      stateRead: {},
    },
  },
});

const snapshot = async (dataSource: DataSource) => ({
  proposals: await dataSource.query('SELECT * FROM proposals ORDER BY proposal_id'),
  heads: await dataSource.query('SELECT * FROM ledger_projection_heads ORDER BY tenant_id'),
});

describe('./halm projections rebuild', () => {
  it('rebuilds from the stream tables equal to the ones projected live', async () => {
    await using nats = await openTestNats(async (connection, names) => ensureLedgerStream(await jetstreamManager(connection), names));
    await using database = await createTestDatabase(migrate);
    const store = await LedgerStore.open(nats.connection, nats.topology);
    const drafts: EventDraft[] = [
      decision('tenant-a', 'prop_1', 'REQUIRE_HUMAN'),
      decision('tenant-b', 'prop_2', 'HELD_FOR_VETO'),
      { tenantId: 'tenant-a', eventId: 'prop_1.rejected', type: 'ProposalRejected', recordedAt: AT, data: { proposalId: 'prop_1', by: { kind: 'key', id: 'key_1' }, reason: 'no' } },
      { tenantId: 'tenant-b', eventId: 'prop_2.elapsed', type: 'VetoWindowElapsed', recordedAt: '2026-03-15T11:00:00.000Z', data: { proposalId: 'prop_2', vetoDeadline: '2026-03-15T11:00:00.000Z' } },
      decision('tenant-a', 'prop_3', 'ALLOW'),
    ];
    const events: LedgerEvent[] = [];
    for (const draft of drafts) {
      const head = await store.head(draft.tenantId);
      const event = chain(head, draft);
      await store.append(event, head.sequence, `${draft.tenantId}:${draft.eventId}`);
      events.push(event);
    }
    const dataSource = await createDataSource(database.url, 2).initialize();
    try {
      // Live: batches out of order, with a redelivery, as competing projectors see them.
      const live = new ProposalProjection(dataSource);
      await live.apply([events[2]!, events[1]!, events[3]!]);
      await live.apply([events[0]!, events[3]!, events[4]!]);
      await live.apply([events[2]!, events[4]!]);
      const projected = await snapshot(dataSource);
      const lines: string[] = [];

      const summary = await rebuildProjections({ natsUrl: testNatsUrl(), databaseUrl: database.url, namespace: nats.topology.namespace }, (line) => lines.push(line));

      expect(summary).toEqual({ events: 5, proposals: 3, tenants: 2 });
      expect(await snapshot(dataSource)).toEqual(projected);
      expect(projected.proposals.map((row: { lifecycle: string }) => row.lifecycle)).toEqual(['REJECTED', 'VETO_WINDOW_ELAPSED', 'ALLOWED']);
      expect(lines).toEqual([expect.stringMatching(/^projections rebuilt from 5 events of LEDGER_\w+: 3 proposals, 2 tenants/)]);
    } finally {
      await dataSource.destroy();
    }
  });

  it('empties the projections of a ledger with no events yet', async () => {
    await using nats = await openTestNats(async (connection, names) => ensureLedgerStream(await jetstreamManager(connection), names));
    await using database = await createTestDatabase(migrate);

    const summary = await rebuildProjections({ natsUrl: testNatsUrl(), databaseUrl: database.url, namespace: nats.topology.namespace }, () => undefined);

    expect(summary).toEqual({ events: 0, proposals: 0, tenants: 0 });
  });
});
