import { generateKeyPairSync } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import type { ActionType, DecisionStatus, ExecutionOutcome, LedgerEvent } from '@halm/contracts';
import { chain, DEFAULT_MANIFEST, eventLeafHash, merkleRoot, signCheckpoint, type EventDraft, type SignedCheckpoint } from '@halm/domain';
import { CheckpointStore, ensureCheckpointStream, ensureLedgerStream, LedgerStore } from '@halm/messaging';
import { CheckpointProjection, createDataSource, migrate, ProposalProjection } from '@halm/persistence';
import { createTestDatabase, openTestNats, testNatsUrl } from '@halm/testing';
import type { DataSource } from 'typeorm';
import { rebuildProjections } from './projections.command';

const KERNEL = { kind: 'kernel', id: 'ledger' } as const;
const APPROVER = { kind: 'key', id: 'key_approver' } as const;
const AGENT = { kind: 'key', id: 'key_agent' } as const;

/**
 * A tenant's history as the services record it: the default policy installed, decisions of
 * every status, approvals, a rejection, a veto, an elapsed window, a policy published through
 * the gate, executions by a connector and by the agent (one still open), a lockdown and its
 * release. Times move on a minute per event.
 */
const historyOf = (tenantId: string) => {
  // Proposal ids are unique across tenants (the gateway names them with 96 random bits).
  const id = (n: number) => `prop_${tenantId}_${n}`;
  const drafts: EventDraft[] = [];
  let minute = 0;
  const add = (eventId: string, type: EventDraft['type'], data: unknown) => {
    minute += 1;
    drafts.push({ tenantId, eventId, type, recordedAt: new Date(Date.UTC(2026, 2, 15, 10, minute)).toISOString(), data });
  };
  const decide = (proposalId: string, status: DecisionStatus, type: ActionType = 'webhook:send', payload: Record<string, unknown> = { url: 'https://example.com/hook' }) => {
    const decidedAt = new Date(Date.UTC(2026, 2, 15, 10, minute + 1)).toISOString();
    add(`${proposalId}.decision`, 'DecisionRecorded', {
      proposal: { proposalId, tenantId, type, payload, context: { agentId: 'agent-7', confidenceScore: 0.9 }, submittedAt: decidedAt },
      decision: {
        proposalId,
        status,
        allowed: status === 'ALLOW',
        reasons: [`decided ${status}`],
        constraints: {},
        vetoDeadline: status === 'HELD_FOR_VETO' ? new Date(Date.UTC(2026, 2, 15, 11)).toISOString() : null,
        humanApprovalRequired: status === 'REQUIRE_HUMAN',
        decidedAt,
        policy: { version: 1, hash: DEFAULT_MANIFEST.hash },
        matchedRules: [status.toLowerCase()],
        stateRead: { budgets: {} },
        ...(type === 'ledger:write' ? { budgetLevel: 'WARNING', budgetCharges: [{ budgetId: 'daily', scopeKey: 'agent-7', amount: 10, windowSeconds: 86400 }] } : {}),
      },
    });
  };
  const verdict = (proposalId: string, type: 'ProposalApproved' | 'ProposalRejected' | 'ProposalVetoed', reason: string) =>
    add(`${proposalId}.${type}`, type, { proposalId, by: APPROVER, reason });
  const execute = (executionId: string, proposalId: string, performer: 'kernel' | 'agent', outcome?: ExecutionOutcome) => {
    const decisionHash = `${proposalId}-executable`;
    add(`${executionId}.started`, 'ExecutionStarted', {
      executionId,
      proposalId,
      idempotencyKey: `idem-${executionId}`,
      actionType: 'webhook:send',
      actionDigest: 'd'.repeat(64),
      decisionHash,
      tokenId: `tok_${executionId}`,
      tokenKeyId: 'kid-1',
      performer,
      connector: performer === 'kernel' ? 'webhook:send' : null,
      executorId: 'executor-1',
      requestedBy: AGENT,
    });
    if (outcome) {
      add(`${executionId}.completed`, 'ExecutionCompleted', {
        executionId,
        proposalId,
        decisionHash,
        outcome,
        result: performer === 'kernel' ? { status: 200, attempts: [{ status: 503 }, { status: 200 }] } : { reported: outcome },
        by: performer === 'kernel' ? KERNEL : AGENT,
      });
    }
  };
  add('policy.genesis.published', 'PolicyPublished', { version: 1, hash: DEFAULT_MANIFEST.hash, manifest: DEFAULT_MANIFEST.document, by: KERNEL, proposalId: null });
  add('policy.genesis.activated', 'PolicyActivated', { version: 1, hash: DEFAULT_MANIFEST.hash, previousVersion: null, by: KERNEL, proposalId: null });
  decide(id(1), 'ALLOW');
  execute('exe_1', id(1), 'kernel', 'SUCCEEDED');
  decide(id(2), 'DENY', 'ledger:write', { amount: 5, recipient: 'acme' });
  decide(id(3), 'REQUIRE_HUMAN', 'policy:update', { operation: 'publish', manifest: DEFAULT_MANIFEST.document });
  verdict(id(3), 'ProposalApproved', 'reviewed');
  add('prop_3.effect', 'PolicyPublished', { version: 2, hash: DEFAULT_MANIFEST.hash, manifest: DEFAULT_MANIFEST.document, by: KERNEL, proposalId: id(3) });
  decide(id(4), 'HELD_FOR_VETO', 'recalibrate:propose', { model: 'risk', parameters: {} });
  verdict(id(4), 'ProposalVetoed', 'not this week');
  decide(id(5), 'HELD_FOR_VETO');
  add('prop_5.veto-window-elapsed', 'VetoWindowElapsed', { proposalId: id(5), vetoDeadline: new Date(Date.UTC(2026, 2, 15, 11)).toISOString() });
  execute('exe_5', id(5), 'agent', 'FAILED');
  decide(id(6), 'REQUIRE_HUMAN', 'ledger:write', { amount: 50_000, recipient: 'acme' });
  verdict(id(6), 'ProposalRejected', 'too much');
  decide(id(7), 'REQUIRE_HUMAN', 'task:create', { title: 'call back' });
  verdict(id(7), 'ProposalApproved', 'fine');
  execute('exe_7', id(7), 'agent', 'SUCCEEDED');
  decide(id(8), 'ALLOW');
  execute('exe_8', id(8), 'kernel');
  add('lockdown.1.engaged', 'LockdownEngaged', { lockdownId: 'lock_1', scope: 'tenant', trigger: 'MANUAL', reason: 'drill', by: APPROVER, evidence: {} });
  add('lockdown.1.released', 'LockdownReleased', { lockdownId: 'lock_1', scope: 'tenant', reason: 'drill over', by: APPROVER });
  return drafts;
};

/** Every table `./halm projections rebuild` rebuilds, as plain rows in a stable order. */
const snapshot = async (dataSource: DataSource) => ({
  events: await dataSource.query('SELECT * FROM ledger_events ORDER BY tenant_id, height'),
  heads: await dataSource.query('SELECT * FROM ledger_projection_heads ORDER BY tenant_id'),
  proposals: await dataSource.query('SELECT * FROM proposals ORDER BY proposal_id'),
  decisions: await dataSource.query('SELECT * FROM decisions ORDER BY tenant_id, height'),
  approvals: await dataSource.query('SELECT * FROM approvals ORDER BY tenant_id, height'),
  executions: await dataSource.query('SELECT * FROM executions ORDER BY tenant_id, execution_id'),
  checkpoints: await dataSource.query('SELECT * FROM checkpoints ORDER BY tenant_id, tree_size, key_id'),
});

/** Hands the events to two projectors in random overlapping batches, redeliveries included, until each was applied. */
const projectLive = async (projections: ProposalProjection[], events: LedgerEvent[]): Promise<void> => {
  const pending = new Set(events);
  for (let round = 0; pending.size > 0 && round < 500; round += 1) {
    const shuffled = [...pending, ...events.filter(() => Math.random() < 0.1)].sort(() => Math.random() - 0.5);
    const half = Math.ceil(shuffled.length / 2);
    const batches = [shuffled.slice(0, half), shuffled.slice(half)];
    const results = await Promise.all(batches.map((batch, which) => projections[which]!.apply(batch)));
    results.forEach((result, which) => result.outcomes.forEach((outcome, index) => outcome === 'applied' && pending.delete(batches[which]![index]!)));
  }
  expect(pending.size).toBe(0);
};

const openStreams = () =>
  openTestNats(async (connection, names) => {
    const manager = await jetstreamManager(connection);
    await ensureLedgerStream(manager, names);
    await ensureCheckpointStream(manager, names);
  });

describe('./halm projections rebuild', () => {
  it('rebuilds from both streams tables equal, row for row, to the ones projected live from a mixed history', async () => {
    await using nats = await openStreams();
    await using database = await createTestDatabase(migrate);
    const ledger = await LedgerStore.open(nats.connection, nats.topology);
    const checkpointStore = await CheckpointStore.open(nats.connection, nats.topology);
    const { privateKey } = generateKeyPairSync('ed25519');
    const [acme, globex] = [historyOf('tenant-a'), historyOf('tenant-b').slice(0, 9)];
    const events: LedgerEvent[] = [];
    const checkpoints: SignedCheckpoint[] = [];
    // The two tenants' events interleaved in the stream; a checkpoint after every fifth event of a tenant, two for the last.
    for (let index = 0; index < Math.max(acme.length, globex.length); index += 1) {
      for (const draft of [acme[index], globex[index]]) {
        if (!draft) continue;
        const head = await ledger.head(draft.tenantId);
        const event = chain(head, draft);
        await ledger.append(event, head.sequence, `${draft.tenantId}:${draft.eventId}`);
        events.push(event);
        const tree = events.filter((candidate) => candidate.tenantId === draft.tenantId);
        if (tree.length % 5 === 0) {
          const body = { tenantId: draft.tenantId, treeSize: tree.length, rootHash: merkleRoot(tree.map(eventLeafHash)).toString('hex'), issuedAt: draft.recordedAt };
          checkpoints.push(signCheckpoint(body, privateKey, 'key-1'));
          if (tree.length === 20) checkpoints.push(signCheckpoint(body, privateKey, 'key-2'));
        }
      }
    }
    for (const checkpoint of checkpoints) await checkpointStore.publish(checkpoint);
    const dataSource = await createDataSource(database.url, 4).initialize();
    const other = await createDataSource(database.url, 4).initialize();
    try {
      await projectLive([new ProposalProjection(dataSource), new ProposalProjection(other)], events);
      const checkpointProjection = new CheckpointProjection(dataSource);
      await checkpointProjection.apply([...checkpoints].reverse());
      await checkpointProjection.apply(checkpoints.slice(0, 3));
      const live = await snapshot(dataSource);
      const lines: string[] = [];

      const summary = await rebuildProjections({ natsUrl: testNatsUrl(), databaseUrl: database.url, namespace: nats.topology.namespace }, (line) => lines.push(line));

      expect(await snapshot(dataSource)).toEqual(live);
      expect(summary).toEqual({ events: acme.length + 9, proposals: 8 + 3, decisions: 8 + 3, approvals: 5 + 1, executions: 4 + 1, tenants: 2, checkpoints: checkpoints.length });
      expect(live.executions.map((row: { tenant_id: string; execution_id: string; status: string }) => `${row.tenant_id} ${row.execution_id} ${row.status}`)).toEqual([
        'tenant-a exe_1 SUCCEEDED',
        'tenant-a exe_5 FAILED',
        'tenant-a exe_7 SUCCEEDED',
        'tenant-a exe_8 STARTED',
        'tenant-b exe_1 SUCCEEDED',
      ]);
      expect(live.approvals.map((row: { verdict: string }) => row.verdict)).toEqual(['APPROVED', 'VETOED', 'VETO_WINDOW_ELAPSED', 'REJECTED', 'APPROVED', 'APPROVED']);
      expect(live.decisions.map((row: { status: string }) => row.status)).toEqual([
        ...['ALLOW', 'DENY', 'REQUIRE_HUMAN', 'HELD_FOR_VETO', 'HELD_FOR_VETO', 'REQUIRE_HUMAN', 'REQUIRE_HUMAN', 'ALLOW'],
        ...['ALLOW', 'DENY', 'REQUIRE_HUMAN'],
      ]);
      expect(live.events).toHaveLength(events.length);
      expect(live.checkpoints).toHaveLength(checkpoints.length);
      expect(lines).toEqual([
        expect.stringMatching(/^projections rebuilt from \d+ events of LEDGER_\w+: 11 proposals, 11 decisions, 6 approvals, 5 executions, 2 tenants/),
        expect.stringMatching(new RegExp(`^checkpoints rebuilt from ${checkpoints.length} messages of LEDGER_CHECKPOINTS_\\w+: ${checkpoints.length} checkpoints`)),
      ]);
    } finally {
      await other.destroy();
      await dataSource.destroy();
    }
  });

  it('empties the projections of a ledger with no events and no checkpoint stream yet', async () => {
    await using nats = await openTestNats(async (connection, names) => ensureLedgerStream(await jetstreamManager(connection), names));
    await using database = await createTestDatabase(migrate);

    const summary = await rebuildProjections({ natsUrl: testNatsUrl(), databaseUrl: database.url, namespace: nats.topology.namespace }, () => undefined);

    expect(summary).toEqual({ events: 0, proposals: 0, decisions: 0, approvals: 0, executions: 0, tenants: 0, checkpoints: 0 });
  });
});
