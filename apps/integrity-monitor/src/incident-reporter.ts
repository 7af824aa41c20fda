import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { EngageLockdownReply, EngageLockdownRequest, LockdownRecord, Topology } from '@halm/contracts';
import { AnomalyReporter, LockdownSwitch, RpcClient, tenantLockdownKey, TOPOLOGY } from '@halm/messaging';
import { IntegrityStore, type UnreportedIncident } from '@halm/persistence';
import { LOGGER, SETTINGS } from '@halm/platform';
import type { Logger } from 'pino';
import type { IntegrityMonitorSettings } from './integrity-monitor.settings';
import { MONITOR_ACTOR } from './integrity-monitor.tokens';

// An anomaly and a lockdown carry the first few events; the incident keeps them all.
const EVIDENCE_EVENTS = 20;
const MAX_REASON = 2_000;

/** One lockdown per incident, named after it: a retried request, or several instances, engage it once. */
export const lockdownIdOf = (incidentId: string): string => `lck_${createHash('sha256').update(`integrity:${incidentId}`).digest('hex').slice(0, 24)}`;

const compactEvidence = (incident: UnreportedIncident): Record<string, unknown> => ({
  incidentId: incident.incidentId,
  invariant: incident.invariant,
  code: incident.code,
  summary: incident.summary,
  events: (Array.isArray(incident.evidence['events']) ? (incident.evidence['events'] as unknown[]) : []).slice(0, EVIDENCE_EVENTS),
});

/**
 * What an incident sets off once it is committed: an AnomalyRecorded (critical, HASH_CHAIN_FAILURE
 * or INVARIANT_VIOLATION) in the tenant's ledger, with the incident id as the anomaly id, and in
 * strict mode a lockdown of the tenant. Each step is recorded on the incident row when done and
 * tried again by the next run until it is, so a monitor that stops midway loses nothing.
 *
 * The lockdown goes through the lockdown controller, which writes the lockdown bucket and then
 * the ledger. If the controller does not answer, or the tenant's ledger cannot take the event
 * (its chain is what is broken), the bucket decides: a lockdown in force there is enough, since
 * every executor and evaluator reads it; when none is, the monitor engages it in the bucket
 * itself, and the controller records it in the ledger when it next starts.
 */
@Injectable()
export class IncidentReporter {
  private readonly strict: boolean;

  constructor(
    private readonly store: IntegrityStore,
    private readonly anomalies: AnomalyReporter,
    private readonly lockdownSwitch: LockdownSwitch,
    private readonly rpc: RpcClient,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    @Inject(SETTINGS) private readonly settings: IntegrityMonitorSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.strict = settings.STRICT_MODE === 'true';
  }

  /** Reports every incident not fully reported yet, of these tenants (null: all). Never throws. */
  async reportPending(tenantIds: readonly string[] | null): Promise<void> {
    let pending: UnreportedIncident[];
    try {
      pending = await this.store.unreportedIncidents(tenantIds);
    } catch (error) {
      this.logger.error({ err: error }, 'could not read the incidents still to report');
      return;
    }
    for (const incident of pending) await this.report(incident);
  }

  private async report(incident: UnreportedIncident): Promise<void> {
    const context = { incidentId: incident.incidentId, tenantId: incident.tenantId, invariant: incident.invariant };
    try {
      let anomalyHeight = incident.anomalyHeight;
      if (anomalyHeight === null) {
        const recorded = await this.anomalies.report(incident.tenantId, incident.kind, 'critical', compactEvidence(incident), MONITOR_ACTOR, incident.incidentId);
        if (recorded) {
          anomalyHeight = recorded.height;
          await this.store.updateReporting(incident.incidentId, { anomalyHeight });
        }
      }
      let lockdownId = incident.lockdownId;
      if (this.strict && lockdownId === null) {
        lockdownId = await this.lockDown(incident);
        if (lockdownId !== null) await this.store.updateReporting(incident.incidentId, { lockdownId });
      }
      if (anomalyHeight !== null && (!this.strict || lockdownId !== null)) await this.store.updateReporting(incident.incidentId, { reportedAt: new Date() });
    } catch (error) {
      this.logger.error({ ...context, err: error }, 'could not report an incident; the next run tries again');
    }
  }

  /** The lockdown in force for the tenant after asking for one; null when none could be put in force. */
  private async lockDown(incident: UnreportedIncident): Promise<string | null> {
    const request: EngageLockdownRequest = {
      scope: 'tenant',
      tenantId: incident.tenantId,
      trigger: incident.kind === 'HASH_CHAIN_FAILURE' ? 'HASH_CHAIN_FAILURE' : 'INVARIANT_VIOLATION',
      reason: `${incident.invariant} violated (incident ${incident.incidentId}): ${incident.summary}`.slice(0, MAX_REASON),
      by: MONITOR_ACTOR,
      evidence: compactEvidence(incident),
      lockdownId: lockdownIdOf(incident.incidentId),
    };
    try {
      const reply = await this.rpc.request<EngageLockdownRequest, EngageLockdownReply>(this.topology.lockdownEngageSubject, request, this.settings.APPEND_TIMEOUT_MS * 2);
      this.logger.warn({ incidentId: incident.incidentId, tenantId: incident.tenantId, lockdownId: reply.lockdown.lockdownId, engaged: reply.engaged }, 'strict mode: lockdown in force');
      return reply.lockdown.lockdownId;
    } catch (error) {
      this.logger.error({ err: error, incidentId: incident.incidentId, tenantId: incident.tenantId }, 'the lockdown controller did not engage the lockdown; using the lockdown bucket');
    }
    const inForce = await this.lockdownSwitch.read(tenantLockdownKey(incident.tenantId));
    if (inForce) return inForce.record.lockdownId;
    const record: LockdownRecord = {
      lockdownId: request.lockdownId!,
      scope: 'tenant',
      tenantId: incident.tenantId,
      trigger: request.trigger,
      reason: request.reason,
      by: MONITOR_ACTOR,
      engagedAt: new Date().toISOString(),
      evidence: request.evidence ?? {},
    };
    const outcome = await this.lockdownSwitch.engage(record);
    this.logger.warn({ incidentId: incident.incidentId, tenantId: incident.tenantId, lockdownId: outcome.record.lockdownId }, 'strict mode: lockdown engaged in the bucket; the controller records it in the ledger when it starts');
    return outcome.record.lockdownId;
  }
}
