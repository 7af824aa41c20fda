import type { DataSource, EntityManager } from 'typeorm';
import type { LedgerEvent } from '@halm/contracts';
import { GENESIS_HASH, projectedProposalIdOf, projectProposalRow, type ProposalLifecycle, type ProposalRow } from '@halm/domain';
import type { ProposalEntity } from './entities/proposal.entity';
import {
  approvalRowOf,
  decisionRowOf,
  executionCompletionOf,
  executionStartOf,
  jsonForPostgres,
  ledgerEventRowOf,
  type ExecutionCompletion,
  type ExecutionRow,
} from './ledger-rows';

/**
 * What became of one event handed to the projection: `applied` (the next event of its
 * tenant, folded in), `duplicate` (at or below the tenant's head: applied before), `ahead`
 * (an earlier event of its tenant is not applied yet, so this one must come again later).
 */
export type ProjectionOutcome = 'applied' | 'duplicate' | 'ahead';

/** A proposal whose row a committed batch changed. */
export interface ProposalChange {
  tenantId: string;
  proposalId: string;
  lifecycle: ProposalLifecycle;
}

export interface ProjectionResult {
  /** One per event given, in the same order. */
  outcomes: ProjectionOutcome[];
  changed: ProposalChange[];
}

export interface RebuildSummary {
  events: number;
  proposals: number;
  decisions: number;
  approvals: number;
  executions: number;
  tenants: number;
}

/**
 * The tables the ledger stream is projected into; a rebuild empties them all. The heads come
 * first: a projector's transaction locks them before any other, so a rebuild locking them first
 * waits for the projectors at work instead of deadlocking with them.
 */
export const LEDGER_PROJECTION_TABLES = ['ledger_projection_heads', 'ledger_events', 'proposals', 'decisions', 'approvals', 'executions'] as const;

export const rowOfEntity = (entity: ProposalEntity): ProposalRow => ({
  proposalId: entity.proposalId,
  tenantId: entity.tenantId,
  type: entity.type,
  agentId: entity.agentId,
  sessionId: entity.sessionId,
  status: entity.status,
  lifecycle: entity.lifecycle,
  proposal: entity.proposal,
  decision: entity.decision,
  vetoDeadline: entity.vetoDeadline ? entity.vetoDeadline.toISOString() : null,
  decidedAt: entity.decidedAt.toISOString(),
  updatedAt: entity.updatedAt.toISOString(),
  lastHeight: entity.lastHeight,
  history: entity.history,
});

/** A `proposals` row as PostgreSQL answers it, timestamps parsed into dates. */
interface ProposalRecord {
  proposal_id: string;
  tenant_id: string;
  type: string;
  agent_id: string | null;
  session_id: string | null;
  status: ProposalRow['status'];
  lifecycle: ProposalLifecycle;
  proposal: ProposalRow['proposal'];
  decision: ProposalRow['decision'];
  veto_deadline: Date | null;
  decided_at: Date;
  updated_at: Date;
  last_height: number;
  history: ProposalRow['history'];
}

const rowOfRecord = (record: ProposalRecord): ProposalRow => ({
  proposalId: record.proposal_id,
  tenantId: record.tenant_id,
  type: record.type,
  agentId: record.agent_id,
  sessionId: record.session_id,
  status: record.status,
  lifecycle: record.lifecycle,
  proposal: record.proposal,
  decision: record.decision,
  vetoDeadline: record.veto_deadline ? record.veto_deadline.toISOString() : null,
  decidedAt: record.decided_at.toISOString(),
  updatedAt: record.updated_at.toISOString(),
  lastHeight: record.last_height,
  history: record.history,
});

const SELECT_PROPOSALS = `
  SELECT proposal_id, tenant_id, type, agent_id, session_id, status, lifecycle, proposal, decision,
         veto_deadline, decided_at, updated_at, last_height, history
  FROM proposals WHERE proposal_id = ANY($1::text[])`;

const recordOf = (row: ProposalRow) => ({
  proposal_id: row.proposalId,
  tenant_id: row.tenantId,
  type: row.type,
  agent_id: row.agentId,
  session_id: row.sessionId,
  status: row.status,
  lifecycle: row.lifecycle,
  proposal: row.proposal,
  decision: row.decision,
  veto_deadline: row.vetoDeadline,
  decided_at: row.decidedAt,
  updated_at: row.updatedAt,
  last_height: row.lastHeight,
  history: row.history,
});

const UPSERT_PROPOSALS = `
  INSERT INTO proposals AS p (proposal_id, tenant_id, type, agent_id, session_id, status, lifecycle, proposal, decision,
                              veto_deadline, decided_at, updated_at, last_height, history)
  SELECT proposal_id, tenant_id, type, agent_id, session_id, status, lifecycle, proposal, decision,
         veto_deadline, decided_at, updated_at, last_height, history
  FROM jsonb_to_recordset($1::jsonb) AS r(proposal_id text, tenant_id text, type text, agent_id text, session_id text,
       status text, lifecycle text, proposal jsonb, decision jsonb, veto_deadline timestamptz, decided_at timestamptz,
       updated_at timestamptz, last_height integer, history jsonb)
  ON CONFLICT (proposal_id) DO UPDATE SET
    type = EXCLUDED.type, agent_id = EXCLUDED.agent_id, session_id = EXCLUDED.session_id, status = EXCLUDED.status,
    lifecycle = EXCLUDED.lifecycle, proposal = EXCLUDED.proposal, decision = EXCLUDED.decision,
    veto_deadline = EXCLUDED.veto_deadline, decided_at = EXCLUDED.decided_at, updated_at = EXCLUDED.updated_at,
    last_height = EXCLUDED.last_height, history = EXCLUDED.history
  WHERE p.tenant_id = EXCLUDED.tenant_id`;

// The event goes in as text cast to json, never through jsonb, so it is kept exactly as stored.
const INSERT_LEDGER_EVENTS = `
  INSERT INTO ledger_events (tenant_id, height, event_id, type, hash, prev_hash, recorded_at, leaf_hash, event)
  SELECT tenant_id, height, event_id, type, hash, prev_hash, recorded_at, leaf_hash, event::json
  FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::text[])
       AS r(tenant_id, height, event_id, type, hash, prev_hash, recorded_at, leaf_hash, event)
  ON CONFLICT (tenant_id, height) DO NOTHING`;

const INSERT_DECISIONS = `
  INSERT INTO decisions (tenant_id, height, hash, proposal_id, action_type, agent_id, status, allowed, policy_version, policy_hash,
                         reasons, matched_rules, budget_level, veto_deadline, decided_at, recorded_at)
  SELECT "tenantId", height, hash, "proposalId", "actionType", "agentId", status, allowed, "policyVersion", "policyHash",
         reasons, "matchedRules", "budgetLevel", "vetoDeadline", "decidedAt", "recordedAt"
  FROM jsonb_to_recordset($1::jsonb) AS r("tenantId" text, height integer, hash text, "proposalId" text, "actionType" text,
       "agentId" text, status text, allowed boolean, "policyVersion" integer, "policyHash" text, reasons text[],
       "matchedRules" text[], "budgetLevel" text, "vetoDeadline" timestamptz, "decidedAt" timestamptz, "recordedAt" timestamptz)
  ON CONFLICT (tenant_id, height) DO NOTHING`;

const INSERT_APPROVALS = `
  INSERT INTO approvals (tenant_id, height, hash, proposal_id, verdict, actor_kind, actor_id, reason, recorded_at)
  SELECT "tenantId", height, hash, "proposalId", verdict, actor->>'kind', actor->>'id', reason, "recordedAt"
  FROM jsonb_to_recordset($1::jsonb) AS r("tenantId" text, height integer, hash text, "proposalId" text, verdict text,
       actor jsonb, reason text, "recordedAt" timestamptz)
  ON CONFLICT (tenant_id, height) DO NOTHING`;

// The ledger starts at most one execution per id and per idempotency key; a second start is ignored, as the ledger would refuse it.
const INSERT_EXECUTIONS = `
  INSERT INTO executions (tenant_id, execution_id, proposal_id, idempotency_key, action_type, action_digest, performer, connector,
                          decision_hash, executor_id, token_id, requested_by, status, started_height, started_hash, started_at)
  SELECT "tenantId", "executionId", "proposalId", "idempotencyKey", "actionType", "actionDigest", performer, connector,
         "decisionHash", "executorId", "tokenId", "requestedBy", status, (started->>'height')::integer, started->>'hash',
         (started->>'recordedAt')::timestamptz
  FROM jsonb_to_recordset($1::jsonb) AS r("tenantId" text, "executionId" text, "proposalId" text, "idempotencyKey" text,
       "actionType" text, "actionDigest" text, performer text, connector text, "decisionHash" text, "executorId" text,
       "tokenId" text, "requestedBy" jsonb, status text, started jsonb)
  ON CONFLICT DO NOTHING`;

// Only the first end of an execution counts: the ledger records one.
const COMPLETE_EXECUTIONS = `
  UPDATE executions AS x SET status = r.outcome, result = r.result, completed_by = r."completedBy",
         completed_height = (r.completed->>'height')::integer, completed_hash = r.completed->>'hash',
         completed_at = (r.completed->>'recordedAt')::timestamptz
  FROM jsonb_to_recordset($1::jsonb) AS r("tenantId" text, "executionId" text, outcome text, result jsonb, "completedBy" jsonb, completed jsonb)
  WHERE x.tenant_id = r."tenantId" AND x.execution_id = r."executionId" AND x.status = 'STARTED'`;

const MOVE_HEADS = `
  UPDATE ledger_projection_heads AS h SET height = r.height, hash = r.hash
  FROM jsonb_to_recordset($1::jsonb) AS r(tenant_id text, height integer, hash text)
  WHERE h.tenant_id = r.tenant_id`;

/** `$1` of a statement becomes `$<first>`, and so on, so that statements can share one parameter list. */
const shifted = (statement: string, first: number): string => statement.replace(/\$(\d+)/g, (_, index: string) => `$${Number(index) + first - 1}`);

/**
 * Every write of a batch but the executions' ends, as one statement: each round trip to
 * PostgreSQL costs the projector a socket write and a wake-up, more than the rows themselves.
 * The parts touch different tables, so none of them needs to see another's rows.
 */
const WRITE_BATCH = `
  WITH proposals_written AS (${shifted(UPSERT_PROPOSALS, 1)}),
       events_written AS (${shifted(INSERT_LEDGER_EVENTS, 2)}),
       decisions_written AS (${shifted(INSERT_DECISIONS, 11)}),
       approvals_written AS (${shifted(INSERT_APPROVALS, 12)}),
       executions_started AS (${shifted(INSERT_EXECUTIONS, 13)})
  ${shifted(MOVE_HEADS, 14)}`;

const withoutNul = (value: string): string => value.replace(/\0/g, '\uFFFD');

/** The new proposal rows, the read models beside `proposals` and the moved heads, for events just applied, in ledger order. */
const writeLedgerRows = async (manager: EntityManager, applied: readonly LedgerEvent[], proposals: readonly ProposalRow[], heads: readonly { tenant_id: string; height: number; hash: string }[]): Promise<void> => {
  const events = applied.map(ledgerEventRowOf);
  await manager.query(WRITE_BATCH, [
    jsonForPostgres(proposals.map(recordOf)),
    events.map((row) => row.tenantId),
    events.map((row) => row.height),
    events.map((row) => withoutNul(row.eventId)),
    events.map((row) => withoutNul(row.type)),
    events.map((row) => withoutNul(row.hash)),
    events.map((row) => withoutNul(row.prevHash)),
    events.map((row) => row.recordedAt),
    events.map((row) => row.leafHash),
    events.map((row) => JSON.stringify(row.event)),
    jsonForPostgres(applied.map(decisionRowOf).filter((row) => row !== undefined)),
    jsonForPostgres(applied.map(approvalRowOf).filter((row) => row !== undefined)),
    jsonForPostgres(applied.map(executionStartOf).filter((row): row is ExecutionRow => row !== undefined)),
    JSON.stringify(heads),
  ]);
  // One UPDATE cannot apply two rows to one execution: keep each execution's first end of the batch.
  // It runs after the statement above, so that it finds the executions started in the same batch.
  const completions = new Map<string, ExecutionCompletion>();
  for (const completion of applied.map(executionCompletionOf).filter((row) => row !== undefined)) {
    const key = `${completion.tenantId}\u0000${completion.executionId}`;
    if (!completions.has(key)) completions.set(key, completion);
  }
  if (completions.size > 0) await manager.query(COMPLETE_EXECUTIONS, [jsonForPostgres([...completions.values()])]);
};

/**
 * Applies a batch of ledger events inside the caller's transaction. Each tenant's head row is
 * locked (tenants in one order, so two projectors never deadlock), and an event is applied
 * only when it is the tenant's next one: the head moves with the rows, so a redelivered event
 * changes nothing and events that arrive early are left for later.
 */
const applyEvents = async (manager: EntityManager, events: readonly LedgerEvent[]): Promise<ProjectionResult> => {
  const outcomes: ProjectionOutcome[] = new Array<ProjectionOutcome>(events.length);
  const indexesByTenant = new Map<string, number[]>();
  events.forEach((event, index) => {
    const indexes = indexesByTenant.get(event.tenantId);
    if (indexes) indexes.push(index);
    else indexesByTenant.set(event.tenantId, [index]);
  });
  const tenants = [...indexesByTenant.keys()];
  if (tenants.length === 0) return { outcomes, changed: [] };

  // Inserted or not, each head row comes back locked (the no-op update locks it), in tenant order.
  const locked: { tenant_id: string; height: number; hash: string }[] = await manager.query(
    `INSERT INTO ledger_projection_heads AS h (tenant_id, height, hash)
     SELECT tenant_id, 0, $2 FROM unnest($1::text[]) AS tenant_id ORDER BY tenant_id
     ON CONFLICT (tenant_id) DO UPDATE SET height = h.height
     RETURNING tenant_id, height, hash`,
    [tenants, GENESIS_HASH],
  );
  const heads = new Map(locked.map((head) => [head.tenant_id, { height: head.height, hash: head.hash }]));

  const toApply: LedgerEvent[] = [];
  for (const [tenantId, indexes] of indexesByTenant) {
    const head = heads.get(tenantId)!;
    for (const index of [...indexes].sort((a, b) => events[a]!.height - events[b]!.height)) {
      const event = events[index]!;
      if (event.height <= head.height) {
        outcomes[index] = 'duplicate';
      } else if (event.height === head.height + 1) {
        outcomes[index] = 'applied';
        head.height = event.height;
        head.hash = event.hash;
        toApply.push(event);
      } else {
        outcomes[index] = 'ahead';
      }
    }
  }
  // A tenant whose first event is still in flight keeps no head row, as a rebuild would leave it.
  const empty = tenants.filter((tenantId) => heads.get(tenantId)!.height === 0);
  if (empty.length > 0) await manager.query('DELETE FROM ledger_projection_heads WHERE tenant_id = ANY($1::text[])', [empty]);
  if (toApply.length === 0) return { outcomes, changed: [] };

  const proposalIds = [...new Set(toApply.map(projectedProposalIdOf).filter((id): id is string => id !== undefined))];
  const rows = new Map<string, ProposalRow>();
  if (proposalIds.length > 0) {
    for (const record of (await manager.query(SELECT_PROPOSALS, [proposalIds])) as ProposalRecord[]) rows.set(record.proposal_id, rowOfRecord(record));
  }
  const changed = new Map<string, ProposalRow>();
  for (const event of toApply) {
    const proposalId = projectedProposalIdOf(event);
    if (proposalId === undefined) continue;
    const before = rows.get(proposalId);
    const after = projectProposalRow(before, event);
    if (after && after !== before) {
      rows.set(proposalId, after);
      changed.set(proposalId, after);
    }
  }

  const moved = [...new Set(toApply.map((event) => event.tenantId))].map((tenantId) => ({ tenant_id: tenantId, ...heads.get(tenantId)! }));
  await writeLedgerRows(manager, toApply, [...changed.values()], moved);
  return {
    outcomes,
    changed: [...changed.values()].map((row) => ({ tenantId: row.tenantId, proposalId: row.proposalId, lifecycle: row.lifecycle })),
  };
};

/**
 * The PostgreSQL projection of the ledger stream: the events themselves with their Merkle
 * leaf hashes (`ledger_events`), the read models `proposals`, `decisions`, `approvals` and
 * `executions` and, in the same transaction, each tenant's head (the last event applied),
 * which is the projection's real checkpoint. A consumer may deliver events twice, late or out
 * of order; the heads keep each tenant in order, so any number of projectors can share the work.
 */
export class ProposalProjection {
  constructor(private readonly dataSource: DataSource) {}

  /** Applies a batch in one transaction: all of it that can be applied, or nothing. */
  apply(events: readonly LedgerEvent[]): Promise<ProjectionResult> {
    return this.dataSource.transaction((manager) => applyEvents(manager, events));
  }

  /**
   * Empties the projection and applies every event again, in one transaction. `readEvents` is
   * called after the tables are locked, so it must read up to the stream's end as it is then:
   * what the live projection committed before is included, and what it applies after sees
   * the rebuilt heads (it waits on the lock meanwhile, as readers do).
   */
  rebuild(readEvents: () => AsyncIterable<LedgerEvent>, chunkSize = 500): Promise<RebuildSummary> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`TRUNCATE ${LEDGER_PROJECTION_TABLES.join(', ')}`);
      let events = 0;
      let chunk: LedgerEvent[] = [];
      const flush = async () => {
        const { outcomes } = await applyEvents(manager, chunk);
        const stray = outcomes.findIndex((outcome) => outcome !== 'applied');
        if (stray >= 0) {
          const event = chunk[stray]!;
          throw new Error(`event ${event.height} of tenant ${event.tenantId} does not follow the one before it in the stream (${outcomes[stray]}): the ledger needs an integrity check`);
        }
        events += chunk.length;
        chunk = [];
      };
      for await (const event of readEvents()) {
        chunk.push(event);
        if (chunk.length >= chunkSize) await flush();
      }
      await flush();
      const [counts] = (await manager.query(
        `SELECT (SELECT count(*) FROM proposals)::int AS proposals, (SELECT count(*) FROM decisions)::int AS decisions,
                (SELECT count(*) FROM approvals)::int AS approvals, (SELECT count(*) FROM executions)::int AS executions,
                (SELECT count(*) FROM ledger_projection_heads)::int AS tenants`,
      )) as [Omit<RebuildSummary, 'events'>];
      return { events, ...counts };
    });
  }
}
