import { randomBytes } from 'node:crypto';
import type { Actor, AnomalyKind, AnomalySeverity, AppendReply, AppendRequest, EventDataOf, Topology } from '@halm/contracts';
import type { Logger } from 'pino';
import type { RpcClient } from './rpc';

export interface AnomalyReporterOptions {
  /** How long to wait for the ledger to record one anomaly. */
  timeoutMs?: number;
  /** Reports in flight at most; beyond that new ones are dropped with a log line, so a flood cannot pile up requests. */
  maxInFlight?: number;
}

export const newAnomalyId = (): string => `anom_${randomBytes(12).toString('hex')}`;

/** Anomaly ids become part of ledger event ids, so they keep to a safe alphabet and length. */
const ANOMALY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,150}$/;

/**
 * Records an anomaly as an AnomalyRecorded event in the tenant's ledger, through the ledger
 * service like every other event. Made for request paths: `report` never throws and never
 * rejects; a report that cannot be recorded is logged. Give an `anomalyId` derived from what
 * happened (the token id, the proposal id) and a repeated report records nothing more.
 */
export class AnomalyReporter {
  private inFlight = 0;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;

  constructor(
    private readonly rpc: RpcClient,
    private readonly topology: Topology,
    private readonly logger: Logger,
    options: AnomalyReporterOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxInFlight = options.maxInFlight ?? 256;
  }

  /** Resolves to the recorded event's position, or null when it could not be recorded (logged). */
  async report(
    tenantId: string,
    kind: AnomalyKind,
    severity: AnomalySeverity,
    evidence: Record<string, unknown>,
    detectedBy: Actor,
    anomalyId: string = newAnomalyId(),
  ): Promise<AppendReply | null> {
    const context = { tenantId, kind, severity, anomalyId };
    if (!ANOMALY_ID_PATTERN.test(anomalyId)) {
      this.logger.error(context, 'anomaly not recorded: its id must be 1 to 150 letters, digits, _, . or -');
      return null;
    }
    if (this.inFlight >= this.maxInFlight) {
      this.logger.error({ ...context, evidence }, 'anomaly not recorded: too many reports in flight');
      return null;
    }
    this.inFlight += 1;
    try {
      const data: EventDataOf<'AnomalyRecorded'> = { anomalyId, kind, severity, evidence, detectedBy };
      const request: AppendRequest = { tenantId, eventId: `anomaly.${anomalyId}`, type: 'AnomalyRecorded', recordedAt: new Date().toISOString(), data };
      const reply = await this.rpc.request<AppendRequest, AppendReply>(this.topology.appendSubject, request, this.timeoutMs);
      if (!reply.duplicate) this.logger.warn({ ...context, height: reply.height }, 'anomaly recorded');
      return reply;
    } catch (error) {
      this.logger.error({ ...context, err: error, evidence }, 'anomaly could not be recorded in the ledger');
      return null;
    } finally {
      this.inFlight -= 1;
    }
  }
}
