import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  INVARIANT_NAMES,
  KERNEL_TENANT_ID,
  type Actor,
  type AppendReply,
  type AppendRequest,
  type IntegrityCheckRecordedData,
  type IntegrityCheckReply,
  type IntegrityRunView,
  type InvariantResultView,
  type TenantCheckView,
  type Topology,
} from '@halm/contracts';
import {
  checkIntegrity,
  initialIntegrityState,
  isIntegrityState,
  keyListOf,
  referencedProposalIds,
  restartIntegrityState,
  verifyingKeysFrom,
  withoutProposals,
  type IntegrityState,
  type MonitoredCheckpoint,
  type MonitoredEntry,
  type ProposalFact,
  type Violation,
} from '@halm/domain';
import { RpcClient, TOPOLOGY, type PublicKeysReply } from '@halm/messaging';
import { IntegrityStore, type IntegrityResultRow, type TenantCheckTransaction } from '@halm/persistence';
import { LOGGER, SETTINGS } from '@halm/platform';
import type { Logger } from 'pino';
import { IncidentReporter } from './incident-reporter';
import type { IntegrityMonitorSettings } from './integrity-monitor.settings';
import { MONITOR_ID } from './integrity-monitor.tokens';
import { LedgerSource } from './ledger-source';

export interface RunRequest {
  trigger: 'schedule' | 'request';
  /** One tenant; null for every tenant. */
  tenantId: string | null;
  full: boolean;
  requestedBy: Actor | null;
}

/** One tenant's check, as the run keeps it until the end. */
interface TenantOutcome {
  view: TenantCheckView;
  head: { height: number; hash: string } | null;
}

export const newRunId = (): string => `irun_${randomBytes(12).toString('hex')}`;

/** Each invariant once, passing only where every tenant passes, with the events examined summed. */
export const aggregateResults = (tenants: readonly TenantCheckView[]): InvariantResultView[] =>
  INVARIANT_NAMES.map((invariant) => {
    const results = tenants.flatMap((tenant) => tenant.results.filter((result) => result.invariant === invariant));
    return { invariant, passing: results.every((result) => result.passing), eventsExamined: results.reduce((sum, result) => sum + result.eventsExamined, 0) };
  });

/** The gateways' token key ids, derived from each public key as the executors derive them (`verifyingKeysFrom`). */
const tokenKeyIdsOf = (list: string): ReadonlySet<string> | null => {
  const keys = keyListOf(list);
  return keys.length === 0 ? null : new Set(verifyingKeysFrom(keys).keys());
};

/**
 * A run of the integrity monitor: each tenant's chain is read from where its last check ended
 * (straight from the ledger stream), checked against the six invariants by the pure
 * `checkIntegrity`, and its new state, results and incidents committed together under the
 * tenant's lock. Then the incidents opened are reported (anomaly, and lockdown in strict mode)
 * and the run is recorded in the kernel's chain.
 */
@Injectable()
export class IntegrityRunner {
  private readonly tokenKeyIds: ReadonlySet<string> | null;

  constructor(
    private readonly store: IntegrityStore,
    private readonly source: LedgerSource,
    private readonly reporter: IncidentReporter,
    private readonly rpc: RpcClient,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    @Inject(MONITOR_ID) private readonly monitorId: string,
    @Inject(SETTINGS) private readonly settings: IntegrityMonitorSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.tokenKeyIds = tokenKeyIdsOf(settings.EXECUTION_TOKEN_PUBLIC_KEYS);
  }

  async run(request: RunRequest): Promise<IntegrityCheckReply> {
    const runId = newRunId();
    const startedAt = new Date();
    const started = performance.now();
    await this.store.startRun({
      runId,
      monitorId: this.monitorId,
      trigger: request.trigger,
      requestedBy: request.requestedBy,
      tenantId: request.tenantId,
      full: request.full,
      intervalMs: this.settings.INTEGRITY_CHECK_INTERVAL_MS,
      startedAt,
    });
    const checkpointKeys = await this.checkpointKeys();
    const tenants = await this.tenantsToCheck(request);
    const outcomes: TenantOutcome[] = [];
    for (const [tenantId, messages] of tenants) {
      try {
        const outcome = await this.checkTenant(runId, tenantId, messages, request, checkpointKeys);
        if (outcome) outcomes.push(outcome);
      } catch (error) {
        // One tenant that cannot be read must not keep the others unchecked; the next run tries it again.
        this.logger.error({ err: error, tenantId, runId }, 'could not check a tenant');
        outcomes.push({ view: { tenantId, checked: false, height: 0, eventsExamined: 0, results: [], incidentsOpened: [], notes: [`not checked: ${(error as Error).message}`] }, head: null });
      }
    }
    await this.reporter.reportPending(request.tenantId === null ? null : [request.tenantId]);

    const views = outcomes.map((outcome) => outcome.view);
    const finishedAt = new Date();
    const checked = views.filter((view) => view.checked);
    const run: IntegrityRunView = {
      runId,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: Math.round(performance.now() - started),
      eventsExamined: checked.reduce((sum, view) => sum + view.eventsExamined, 0),
      results: aggregateResults(checked),
    };
    await this.store.finishRun(runId, { finishedAt, durationMs: run.durationMs, tenantsChecked: checked.length, eventsExamined: run.eventsExamined });
    await this.recordInKernelChain(run, request, views, outcomes);
    const opened = views.flatMap((view) => view.incidentsOpened);
    const log = opened.length > 0 ? this.logger.warn.bind(this.logger) : this.logger.info.bind(this.logger);
    log({ runId, trigger: request.trigger, tenants: checked.length, eventsExamined: run.eventsExamined, durationMs: run.durationMs, incidentsOpened: opened }, 'integrity check finished');
    return { run, tenants: views };
  }

  /**
   * Every tenant with a chain on the stream or a state from an earlier check (a chain that
   * vanished is checked too, and found truncated). A scheduled run passes over a tenant whose
   * subject holds exactly the messages its last check examined: nothing new can be there,
   * and the ledger signs no new checkpoint of a tree that did not grow.
   */
  private async tenantsToCheck(request: RunRequest): Promise<Map<string, number | null>> {
    const counts = await this.source.tenants();
    if (request.tenantId !== null) return new Map([[request.tenantId, counts.get(request.tenantId) ?? 0]]);
    const all = new Map<string, number | null>(counts);
    for (const tenantId of await this.store.checkedTenants()) if (!all.has(tenantId)) all.set(tenantId, 0);
    return new Map([...all].sort(([a], [b]) => a.localeCompare(b)));
  }

  private async checkTenant(runId: string, tenantId: string, messages: number | null, request: RunRequest, checkpointKeys: ReadonlyMap<string, KeyObject> | null): Promise<TenantOutcome | null> {
    // A check asked for waits for another instance's check of the tenant; a scheduled one leaves it to that instance.
    const waitMs = request.trigger === 'request' ? this.settings.INTEGRITY_LOCK_WAIT_MS : 0;
    const locked = await this.store.withTenant(tenantId, waitMs, (transaction) => this.checkLocked(runId, transaction, messages, request, checkpointKeys));
    if (locked.locked) return locked.value;
    return {
      view: { tenantId, checked: false, height: 0, eventsExamined: 0, results: [], incidentsOpened: [], notes: ['another monitor instance was checking this tenant; its run records the result'] },
      head: null,
    };
  }

  private async checkLocked(
    runId: string,
    transaction: TenantCheckTransaction,
    messages: number | null,
    request: RunRequest,
    checkpointKeys: ReadonlyMap<string, KeyObject> | null,
  ): Promise<TenantOutcome | null> {
    const tenantId = transaction.tenantId;
    const started = performance.now();
    const stored = await transaction.state();
    let state: IntegrityState = isIntegrityState(stored) && stored.tenantId === tenantId ? stored : initialIntegrityState(tenantId);
    if (request.trigger === 'schedule' && !request.full && messages !== null && state.sequence > 0 && messages === state.treeSize) return null;
    const notes: string[] = [];
    if (request.full) state = restartIntegrityState(state);

    const before = await this.source.checkpointsAfter(tenantId, state.checkpointSequence);
    if (state.sequence > 0 && !(await this.anchorHolds(state))) {
      notes.push(`checked again from the first event: the message the last check ended on (sequence ${state.sequence}, height ${state.height}) is no longer there`);
      state = restartIntegrityState(state);
    }
    // From the first event, the proposal facts are rebuilt: the stored ones belong to the history checked before.
    const fromStart = state.treeSize === 0;
    const facts = new Map<string, ProposalFact | null>();
    const violations: Violation[] = [];
    const outcomeNotes: string[] = [];
    let eventsExamined = 0;
    const examine = async (entries: MonitoredEntry[], checkpoints: MonitoredCheckpoint[], endOfHistory: boolean): Promise<void> => {
      const referenced = referencedProposalIds(state, entries);
      const unknown = referenced.filter((proposalId) => !facts.has(proposalId));
      const stored = fromStart ? new Map<string, unknown>() : await transaction.proposalFacts(unknown);
      const proposals = new Map<string, ProposalFact>();
      for (const proposalId of referenced) {
        const fact = facts.has(proposalId) ? facts.get(proposalId) : (stored.get(proposalId) as ProposalFact | undefined);
        if (fact) proposals.set(proposalId, fact);
      }
      const proposalOwners = await transaction.proposalOwners(referenced);
      const outcome = checkIntegrity(state, { entries, checkpoints, checkpointKeys, tokenKeyIds: this.tokenKeyIds, proposalOwners, proposals, endOfHistory });
      // The facts stay apart from the stored state: it keeps only what follows the token traffic and the open executions.
      state = withoutProposals(outcome.state);
      for (const [proposalId, fact] of Object.entries(outcome.proposalChanges)) facts.set(proposalId, fact);
      violations.push(...outcome.violations);
      outcomeNotes.push(...outcome.notes);
      eventsExamined += outcome.eventsExamined;
    };
    let first = true;
    const until = await this.source.lastSequence(tenantId);
    if (until > state.sequence) {
      for await (const entries of this.source.entryBatches(tenantId, state.sequence, until)) {
        await examine(entries, first ? before.map((checkpoint) => ({ ...checkpoint, readBeforeEvents: true })) : [], false);
        first = false;
      }
    }
    const afterSequence = Math.max(state.checkpointSequence, before.at(-1)?.sequence ?? 0);
    const after = await this.source.checkpointsAfter(tenantId, afterSequence);
    await examine([], [...(first ? before.map((checkpoint) => ({ ...checkpoint, readBeforeEvents: true })) : []), ...after.map((checkpoint) => ({ ...checkpoint, readBeforeEvents: false }))], true);
    const outcome = { state, violations, notes: outcomeNotes, eventsExamined };
    const durationMs = Math.round(performance.now() - started);
    const at = new Date();

    const results: IntegrityResultRow[] = INVARIANT_NAMES.map((invariant) => {
      const violations = outcome.violations.filter((violation) => violation.invariant === invariant).length;
      return { invariant, passing: violations === 0, eventsExamined: outcome.eventsExamined, violations, durationMs };
    });
    await transaction.saveState(outcome.state, outcome.state.height, outcome.state.eventsExamined, runId, at);
    await transaction.saveProposalFacts(facts, fromStart);
    await transaction.recordResults(runId, at, results);
    const incidentsOpened = await transaction.openIncidents(
      runId,
      at,
      outcome.violations.map((violation) => ({
        key: violation.key,
        invariant: violation.invariant,
        kind: violation.kind,
        code: violation.code,
        summary: violation.summary,
        evidence: { ...violation.evidence, code: violation.code },
      })),
    );
    return {
      view: {
        tenantId,
        checked: true,
        height: outcome.state.height,
        eventsExamined: outcome.eventsExamined,
        results: results.map(({ invariant, passing, eventsExamined }) => ({ invariant, passing, eventsExamined })),
        incidentsOpened,
        notes: [...notes, ...outcome.notes],
      },
      head: outcome.eventsExamined > 0 ? { height: outcome.state.height, hash: outcome.state.hash } : null,
    };
  }

  /** Whether the stream still holds, where the last check ended, the very event it ended on. */
  private async anchorHolds(state: IntegrityState): Promise<boolean> {
    const found = await this.source.at(state.sequence);
    if (!found || found.subject !== this.topology.ledgerSubject(state.tenantId)) return false;
    const event = found.entry.event as { hash?: unknown; height?: unknown } | undefined;
    return event?.hash === state.hash && event.height === state.height;
  }

  /** The ledger's checkpoint keys; null when the ledger does not answer (signatures are then not checked, and the run says so). */
  private async checkpointKeys(): Promise<ReadonlyMap<string, KeyObject> | null> {
    try {
      const reply = await this.rpc.request<Record<string, never>, PublicKeysReply>(this.topology.publicKeysSubject, {}, this.settings.APPEND_TIMEOUT_MS);
      return verifyingKeysFrom(reply.keys.map((key) => key.publicKey));
    } catch (error) {
      this.logger.warn({ err: error }, 'the ledger did not answer with its checkpoint keys; checkpoint signatures are not checked this run');
      return null;
    }
  }

  /**
   * The run as an IntegrityCheckRecorded event in the kernel's own chain (KERNEL_TENANT_ID):
   * appending to each tenant's chain would give every next run an event to examine in every
   * tenant. Best effort: the run's row stands whether or not the ledger takes it.
   */
  private async recordInKernelChain(run: IntegrityRunView, request: RunRequest, views: readonly TenantCheckView[], outcomes: readonly TenantOutcome[]): Promise<void> {
    const data: IntegrityCheckRecordedData = {
      runId: run.runId,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      trigger: request.trigger,
      requestedBy: request.requestedBy,
      full: request.full,
      tenantsChecked: views.filter((view) => view.checked).length,
      eventsExamined: run.eventsExamined,
      results: run.results,
      heads: outcomes.flatMap((outcome) => (outcome.head ? [{ tenantId: outcome.view.tenantId, ...outcome.head }] : [])),
      incidentsOpened: views.flatMap((view) => view.incidentsOpened),
    };
    const append: AppendRequest = { tenantId: KERNEL_TENANT_ID, eventId: `integrity.${run.runId}`, type: 'IntegrityCheckRecorded', recordedAt: run.finishedAt, data };
    try {
      const reply = await this.rpc.request<AppendRequest, AppendReply>(this.topology.appendSubject, append, this.settings.APPEND_TIMEOUT_MS);
      await this.store.recordRunEvent(run.runId, reply.height, reply.hash);
    } catch (error) {
      this.logger.error({ err: error, runId: run.runId }, 'the run could not be recorded in the kernel chain; its row in integrity_runs stands');
    }
  }
}
