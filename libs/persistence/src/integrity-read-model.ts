import type { DataSource } from 'typeorm';
import { INVARIANT_NAMES, type IncidentStatus, type IncidentView, type IntegrityRunView, type InvariantName, type InvariantResultView } from '@halm/contracts';
import { IncidentEntity } from './entities/incident.entity';

/** The latest run any monitor instance finished, and the interval it was scheduled at. */
export interface LatestIntegrityRun {
  runId: string;
  finishedAt: Date;
  intervalMs: number;
}

/** Open incidents, counted by invariant and by the anomaly kind they were recorded as. */
export interface OpenIncidentCount {
  invariant: InvariantName;
  kind: 'HASH_CHAIN_FAILURE' | 'INVARIANT_VIOLATION';
  count: number;
}

export interface IncidentQuery {
  /** One tenant's incidents; absent for every tenant's (the operator's CLI). */
  tenantId?: string;
  status?: IncidentStatus;
  limit: number;
}

export const incidentViewOf = (entity: IncidentEntity): IncidentView => ({
  incidentId: entity.incidentId,
  tenantId: entity.tenantId,
  invariant: entity.invariant as InvariantName,
  openedAt: entity.openedAt.toISOString(),
  status: entity.status,
  summary: entity.summary,
  evidence: { events: [], ...entity.evidence } as IncidentView['evidence'],
});

/** Each invariant once, in the transparency page's order, from result rows (several tenants: passing only if all pass). */
const resultsOf = (rows: readonly { invariant: string; passing: boolean; events_examined: number }[]): InvariantResultView[] =>
  INVARIANT_NAMES.flatMap((invariant) => {
    const mine = rows.filter((row) => row.invariant === invariant);
    if (mine.length === 0) return [];
    return [{ invariant, passing: mine.every((row) => row.passing), eventsExamined: mine.reduce((sum, row) => sum + Number(row.events_examined), 0) }];
  });

/**
 * Reads what the integrity monitor recorded: runs and their results (per tenant for auditors,
 * aggregated for the public endpoints, which never see a tenant), and incidents.
 */
export class IntegrityReadModel {
  constructor(private readonly dataSource: DataSource) {}

  async latestRun(): Promise<LatestIntegrityRun | null> {
    const rows: { run_id: string; finished_at: Date; interval_ms: number }[] = await this.dataSource.query(
      'SELECT run_id, finished_at, interval_ms FROM integrity_runs WHERE finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1',
    );
    const row = rows[0];
    return row ? { runId: row.run_id, finishedAt: row.finished_at, intervalMs: row.interval_ms } : null;
  }

  async openIncidentCounts(): Promise<OpenIncidentCount[]> {
    const rows: { invariant: InvariantName; kind: OpenIncidentCount['kind']; count: string }[] = await this.dataSource.query(
      "SELECT invariant, kind, count(*) AS count FROM incidents WHERE status = 'OPEN' GROUP BY invariant, kind",
    );
    return rows.map((row) => ({ invariant: row.invariant, kind: row.kind, count: Number(row.count) }));
  }

  /** The tenant's latest finished runs, newest first, each with the tenant's own results and events only. */
  async runsOfTenant(tenantId: string, limit: number): Promise<IntegrityRunView[]> {
    const runs: { run_id: string; started_at: Date; finished_at: Date; duration_ms: number }[] = await this.dataSource.query(
      `SELECT r.run_id, r.started_at, r.finished_at, r.duration_ms FROM integrity_runs r
       WHERE r.finished_at IS NOT NULL AND r.run_id IN (
         SELECT run_id FROM integrity_results WHERE tenant_id = $1 GROUP BY run_id ORDER BY max(checked_at) DESC LIMIT $2)
       ORDER BY r.started_at DESC, r.run_id DESC`,
      [tenantId, limit],
    );
    if (runs.length === 0) return [];
    const results: { run_id: string; invariant: string; passing: boolean; events_examined: number }[] = await this.dataSource.query(
      'SELECT run_id, invariant, passing, events_examined FROM integrity_results WHERE tenant_id = $1 AND run_id = ANY($2)',
      [tenantId, runs.map((run) => run.run_id)],
    );
    return runs.map((run) => {
      const mine = resultsOf(results.filter((result) => result.run_id === run.run_id));
      return {
        runId: run.run_id,
        startedAt: run.started_at.toISOString(),
        finishedAt: run.finished_at.toISOString(),
        durationMs: run.duration_ms,
        eventsExamined: mine[0]?.eventsExamined ?? 0,
        results: mine,
      };
    });
  }

  /** Newest first. */
  async incidents(query: IncidentQuery): Promise<IncidentView[]> {
    const builder = this.dataSource.getRepository(IncidentEntity).createQueryBuilder('i').orderBy('i.openedAt', 'DESC').addOrderBy('i.incidentId', 'DESC').limit(query.limit);
    if (query.tenantId !== undefined) builder.andWhere('i.tenantId = :tenantId', { tenantId: query.tenantId });
    if (query.status !== undefined) builder.andWhere('i.status = :status', { status: query.status });
    return (await builder.getMany()).map(incidentViewOf);
  }

  /** One incident; within `tenantId` when given, so another tenant's answers like one that does not exist. */
  async incident(incidentId: string, tenantId?: string): Promise<IncidentView | undefined> {
    const entity = await this.dataSource.getRepository(IncidentEntity).findOneBy(tenantId === undefined ? { incidentId } : { incidentId, tenantId });
    return entity ? incidentViewOf(entity) : undefined;
  }
}
