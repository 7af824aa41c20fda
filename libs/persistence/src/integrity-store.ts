import type { DataSource, QueryRunner } from 'typeorm';
import type { Actor, InvariantName } from '@halm/contracts';

/** The first key of the two-key advisory locks taken per tenant while it is checked ('HALM' in ASCII). */
const TENANT_LOCK_CLASS = 0x48414c4d;
const LOCK_NOT_AVAILABLE = '55P03';
// Parameters per statement stay far below PostgreSQL's 65535.
const FACTS_PER_INSERT = 1_000;

// PostgreSQL text cannot hold NUL; ids and values quoted from a forged event might.
const withoutNul = (text: string): string => text.replace(/\u0000/g, '\uFFFD');

export interface IntegrityRunStart {
  runId: string;
  monitorId: string;
  trigger: 'schedule' | 'request';
  requestedBy: Actor | null;
  tenantId: string | null;
  full: boolean;
  intervalMs: number;
  startedAt: Date;
}

export interface IntegrityRunEnd {
  finishedAt: Date;
  durationMs: number;
  tenantsChecked: number;
  eventsExamined: number;
}

export interface IntegrityResultRow {
  invariant: InvariantName;
  passing: boolean;
  eventsExamined: number;
  violations: number;
  durationMs: number;
}

/** A finding to open an incident for; `key` is the finding's stable violation key. */
export interface IncidentDraft {
  key: string;
  invariant: InvariantName;
  kind: 'HASH_CHAIN_FAILURE' | 'INVARIANT_VIOLATION';
  code: string;
  summary: string;
  evidence: Record<string, unknown>;
}

/** An incident whose anomaly (and lockdown, in strict mode) is still to be asked for. */
export interface UnreportedIncident {
  incidentId: string;
  tenantId: string;
  invariant: InvariantName;
  kind: 'HASH_CHAIN_FAILURE' | 'INVARIANT_VIOLATION';
  code: string;
  summary: string;
  evidence: Record<string, unknown>;
  /** Where its AnomalyRecorded is, once recorded. */
  anomalyHeight: number | null;
  /** The lockdown in force for it, once engaged. */
  lockdownId: string | null;
}

/** One incident per violation key, named after it. */
export const incidentIdOf = (violationKey: string): string => `inc_${violationKey.slice(0, 24)}`;

/** What a check may do with one tenant while it holds the tenant's lock; all of it commits together. */
export class TenantCheckTransaction {
  constructor(
    private readonly runner: QueryRunner,
    readonly tenantId: string,
  ) {}

  /** The state the last check left, as stored (null before the first). */
  async state(): Promise<unknown> {
    const rows: { state: unknown }[] = await this.runner.query('SELECT state FROM integrity_states WHERE tenant_id = $1', [this.tenantId]);
    return rows[0]?.state ?? null;
  }

  async saveState(state: unknown, height: number, eventsExamined: number, runId: string, at: Date): Promise<void> {
    await this.runner.query(
      `INSERT INTO integrity_states (tenant_id, state, height, events_examined, last_run_id, checked_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant_id) DO UPDATE SET state = EXCLUDED.state, height = EXCLUDED.height, events_examined = EXCLUDED.events_examined,
         last_run_id = EXCLUDED.last_run_id, checked_at = EXCLUDED.checked_at`,
      [this.tenantId, JSON.stringify(state), height, eventsExamined, runId, at],
    );
  }

  async recordResults(runId: string, at: Date, results: readonly IntegrityResultRow[]): Promise<void> {
    if (results.length === 0) return;
    const values: unknown[] = [];
    const rows = results.map((result, index) => {
      values.push(runId, this.tenantId, result.invariant, result.passing, result.eventsExamined, result.violations, result.durationMs, at);
      const base = index * 8;
      return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}, $${base + 8})`;
    });
    await this.runner.query(
      `INSERT INTO integrity_results (run_id, tenant_id, invariant, passing, events_examined, violations, duration_ms, checked_at) VALUES ${rows.join(', ')}`,
      values,
    );
  }

  /** Opens an incident for each finding not seen before; answers the ids of those opened now. */
  async openIncidents(runId: string, at: Date, drafts: readonly IncidentDraft[]): Promise<string[]> {
    const opened: string[] = [];
    for (const draft of drafts) {
      const rows: { incident_id: string }[] = await this.runner.query(
        `INSERT INTO incidents (incident_id, violation_key, tenant_id, invariant, kind, code, status, summary, evidence, opened_at, run_id)
         VALUES ($1, $2, $3, $4, $5, $6, 'OPEN', $7, $8, $9, $10) ON CONFLICT (violation_key) DO NOTHING RETURNING incident_id`,
        [incidentIdOf(draft.key), draft.key, this.tenantId, draft.invariant, draft.kind, draft.code, withoutNul(draft.summary), JSON.stringify(draft.evidence), at, runId],
      );
      if (rows[0]) opened.push(rows[0].incident_id);
    }
    return opened;
  }

  /** The monitor's facts about these proposals of the tenant (the domain's ProposalFact), as stored. */
  async proposalFacts(proposalIds: readonly string[]): Promise<Map<string, unknown>> {
    if (proposalIds.length === 0) return new Map();
    const rows: { proposal_id: string; fact: unknown }[] = await this.runner.query('SELECT proposal_id, fact FROM integrity_proposals WHERE tenant_id = $1 AND proposal_id = ANY($2)', [
      this.tenantId,
      proposalIds.map(withoutNul),
    ]);
    return new Map(rows.map((row) => [row.proposal_id, row.fact]));
  }

  /** Sets (or, for null, removes) proposal facts; with `replaceAll` the tenant's other facts go (a check from the first event rebuilt them all). */
  async saveProposalFacts(changes: ReadonlyMap<string, unknown>, replaceAll: boolean): Promise<void> {
    if (replaceAll) await this.runner.query('DELETE FROM integrity_proposals WHERE tenant_id = $1', [this.tenantId]);
    const removed = [...changes].filter(([, fact]) => fact === null).map(([proposalId]) => withoutNul(proposalId));
    if (removed.length > 0 && !replaceAll) await this.runner.query('DELETE FROM integrity_proposals WHERE tenant_id = $1 AND proposal_id = ANY($2)', [this.tenantId, removed]);
    const kept = [...changes].filter(([, fact]) => fact !== null);
    for (let start = 0; start < kept.length; start += FACTS_PER_INSERT) {
      const slice = kept.slice(start, start + FACTS_PER_INSERT);
      const values: unknown[] = [this.tenantId];
      const rows = slice.map(([proposalId, fact], index) => {
        values.push(withoutNul(proposalId), JSON.stringify(fact));
        return `($1, $${2 * index + 2}, $${2 * index + 3})`;
      });
      await this.runner.query(
        `INSERT INTO integrity_proposals (tenant_id, proposal_id, fact) VALUES ${rows.join(', ')} ON CONFLICT (tenant_id, proposal_id) DO UPDATE SET fact = EXCLUDED.fact`,
        values,
      );
    }
  }

  /** The tenant of each of these proposals the proposals read model knows. */
  async proposalOwners(proposalIds: readonly string[]): Promise<Map<string, string>> {
    if (proposalIds.length === 0) return new Map();
    const rows: { proposal_id: string; tenant_id: string }[] = await this.runner.query('SELECT proposal_id, tenant_id FROM proposals WHERE proposal_id = ANY($1)', [
      proposalIds.map(withoutNul),
    ]);
    return new Map(rows.map((row) => [row.proposal_id, row.tenant_id]));
  }
}

/**
 * The integrity monitor's writes: runs, per-tenant results, the state each tenant's next check
 * carries on from, and incidents. A tenant is checked under a transaction-scoped advisory lock,
 * so across all monitor instances one check of a tenant runs at a time, and its state, results
 * and incidents commit together or not at all: no event is counted twice, no incident opened twice.
 */
export class IntegrityStore {
  constructor(private readonly dataSource: DataSource) {}

  async startRun(run: IntegrityRunStart): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO integrity_runs (run_id, monitor_id, trigger, requested_by, tenant_id, full_check, interval_ms, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [run.runId, run.monitorId, run.trigger, run.requestedBy === null ? null : JSON.stringify(run.requestedBy), run.tenantId, run.full, run.intervalMs, run.startedAt],
    );
  }

  async finishRun(runId: string, end: IntegrityRunEnd): Promise<void> {
    await this.dataSource.query('UPDATE integrity_runs SET finished_at = $2, duration_ms = $3, tenants_checked = $4, events_examined = $5 WHERE run_id = $1', [
      runId,
      end.finishedAt,
      end.durationMs,
      end.tenantsChecked,
      end.eventsExamined,
    ]);
  }

  /** Where the run's IntegrityCheckRecorded event landed in the kernel's chain. */
  async recordRunEvent(runId: string, height: number, hash: string): Promise<void> {
    await this.dataSource.query('UPDATE integrity_runs SET ledger_height = $2, ledger_hash = $3 WHERE run_id = $1', [runId, height, hash]);
  }

  /**
   * Runs `work` for the tenant under its lock, in one transaction. With `waitMs` 0 a tenant
   * another instance is checking is skipped (`{ locked: false }`); otherwise the lock is waited
   * for that long at most.
   */
  async withTenant<T>(tenantId: string, waitMs: number, work: (transaction: TenantCheckTransaction) => Promise<T>): Promise<{ locked: true; value: T } | { locked: false }> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      let locked: boolean;
      if (waitMs > 0) {
        await runner.query(`SET LOCAL lock_timeout = ${Math.floor(waitMs)}`);
        locked = await runner.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [TENANT_LOCK_CLASS, tenantId]).then(
          () => true,
          (error: { driverError?: { code?: string }; code?: string }) => {
            if ((error.driverError?.code ?? error.code) === LOCK_NOT_AVAILABLE) return false;
            throw error;
          },
        );
      } else {
        const rows: { locked: boolean }[] = await runner.query('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked', [TENANT_LOCK_CLASS, tenantId]);
        locked = rows[0]?.locked === true;
      }
      if (!locked) {
        await runner.rollbackTransaction();
        return { locked: false };
      }
      const value = await work(new TenantCheckTransaction(runner, tenantId));
      await runner.commitTransaction();
      return { locked: true, value };
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** Every tenant some check has examined: a chain that vanished from the stream is still checked (and found truncated). */
  async checkedTenants(): Promise<string[]> {
    const rows: { tenant_id: string }[] = await this.dataSource.query('SELECT tenant_id FROM integrity_states ORDER BY tenant_id');
    return rows.map((row) => row.tenant_id);
  }

  /** Incidents whose anomaly or lockdown is not done yet (the monitor stopped, or the ledger refused), oldest first. */
  async unreportedIncidents(tenantIds: readonly string[] | null, limit = 100): Promise<UnreportedIncident[]> {
    const rows: {
      incident_id: string;
      tenant_id: string;
      invariant: InvariantName;
      kind: UnreportedIncident['kind'];
      code: string;
      summary: string;
      evidence: Record<string, unknown>;
      anomaly_height: number | null;
      lockdown_id: string | null;
    }[] = await this.dataSource.query(
      `SELECT incident_id, tenant_id, invariant, kind, code, summary, evidence, anomaly_height, lockdown_id FROM incidents
       WHERE reported_at IS NULL AND ($1::text[] IS NULL OR tenant_id = ANY($1)) ORDER BY opened_at, incident_id LIMIT $2`,
      [tenantIds, limit],
    );
    return rows.map((row) => ({
      incidentId: row.incident_id,
      tenantId: row.tenant_id,
      invariant: row.invariant,
      kind: row.kind,
      code: row.code,
      summary: row.summary,
      evidence: row.evidence,
      anomalyHeight: row.anomaly_height,
      lockdownId: row.lockdown_id,
    }));
  }

  /**
   * Marks an open incident resolved, with who and why: the public status counts only open ones.
   * False when there is no such incident or it was resolved already (nothing changes then).
   */
  async resolveIncident(incidentId: string, resolution: string, at: Date): Promise<boolean> {
    const rows: { incident_id: string }[] = await this.dataSource.query(
      // A statement that reads: the driver answers an UPDATE with its row count beside the rows.
      "WITH resolved AS (UPDATE incidents SET status = 'RESOLVED', resolved_at = $2, resolution = $3 WHERE incident_id = $1 AND status = 'OPEN' RETURNING incident_id) SELECT incident_id FROM resolved",
      [incidentId, at, withoutNul(resolution)],
    );
    return rows.length > 0;
  }

  /** Records what was done for an incident; `reportedAt` once nothing is left to do. */
  async updateReporting(incidentId: string, done: { anomalyHeight?: number; lockdownId?: string; reportedAt?: Date }): Promise<void> {
    await this.dataSource.query(
      'UPDATE incidents SET anomaly_height = COALESCE($2, anomaly_height), lockdown_id = COALESCE($3, lockdown_id), reported_at = COALESCE($4, reported_at) WHERE incident_id = $1',
      [incidentId, done.anomalyHeight ?? null, done.lockdownId ?? null, done.reportedAt ?? null],
    );
  }
}
