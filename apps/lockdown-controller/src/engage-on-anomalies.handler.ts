import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AckPolicy, DeliverPolicy, JetStreamApiError, jetstreamManager, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { TENANT_ID_PATTERN, type LedgerEvent, type Topology } from '@halm/contracts';
import {
  consumeInBatches,
  GLOBAL_LOCKDOWN_KEY,
  LockdownSwitch,
  NATS_CONNECTION,
  tenantLockdownKey,
  TOPOLOGY,
  Verdicts,
  type RunningConsumer,
  type Verdict,
} from '@halm/messaging';
import { LOGGER, SETTINGS } from '@halm/platform';
import type { Logger } from 'pino';
import { LockdownRecorder } from './lockdown-recorder';
import type { LockdownControllerSettings } from './lockdown-controller.settings';
import { lockdownTriggerFor, type TriggerRules } from './lockdown-triggers';
import { TenantLedgers } from './tenant-ledgers';

/** The durable consumer every controller instance shares: each ledger event reaches one of them. */
export const ANOMALIES_CONSUMER = 'lockdown-controller--anomalies';

const ACK_WAIT_MS = 30_000;
const MAX_BATCH = 200;
const RETRY_MS = 1_000;

const KERNEL = { kind: 'kernel', id: 'lockdown-controller' } as const;

const decodeEvent = (message: JsMsg): LedgerEvent => {
  const event = message.json<LedgerEvent>();
  if (typeof event?.tenantId !== 'string' || !TENANT_ID_PATTERN.test(event.tenantId)) throw new Error('no valid tenantId');
  if (!Number.isSafeInteger(event.height) || typeof event.type !== 'string' || Number.isNaN(Date.parse(event.recordedAt))) throw new Error('not a ledger event');
  return event;
};

const CONSUMER_NOT_FOUND = 10014;
const CONSUMER_ALREADY_EXISTS = new Set([10013, 10148]);

/**
 * The shared durable consumer, created to deliver only events stored from now on: anomalies
 * recorded before the first controller ever ran (an upgrade of a running ledger) engage
 * nothing. Once it exists its position is kept, so a restarted controller catches up.
 */
const ensureAnomaliesConsumer = async (manager: JetStreamManager, stream: string): Promise<void> => {
  const existing = await manager.consumers.info(stream, ANOMALIES_CONSUMER).catch((error: unknown) => {
    if (error instanceof JetStreamApiError && error.code === CONSUMER_NOT_FOUND) return null;
    throw error;
  });
  if (existing) return;
  await manager.consumers
    .add(stream, { durable_name: ANOMALIES_CONSUMER, ack_policy: AckPolicy.Explicit, ack_wait: ACK_WAIT_MS * 1_000_000, max_deliver: -1, deliver_policy: DeliverPolicy.New, max_ack_pending: 1_000 })
    .catch((error: unknown) => {
      if (error instanceof JetStreamApiError && CONSUMER_ALREADY_EXISTS.has(error.code)) return;
      throw error;
    });
};

/** One lockdown per triggering anomaly, named after it: every instance that decides on it engages the same lockdown. */
export const lockdownIdFor = (event: LedgerEvent): string => `lck_${createHash('sha256').update(`${event.tenantId}:${event.eventId}`).digest('hex').slice(0, 24)}`;

/**
 * The automatic triggers: reads every ledger event through a shared durable consumer and
 * decides on each AnomalyRecorded from the tenant's own recent history (`lockdownTriggerFor`),
 * so the decision does not depend on which instance got which anomaly. A tenant already in
 * lockdown is skipped. Engaging is idempotent (one lockdown per bucket key), so instances that
 * decide at the same moment, or a redelivered anomaly, engage once.
 */
@Injectable()
export class EngageOnAnomaliesHandler implements OnApplicationBootstrap, OnModuleDestroy {
  private running: RunningConsumer | undefined;
  private readonly rules: TriggerRules;
  private readonly exempt: ReadonlySet<string>;

  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    private readonly ledgers: TenantLedgers,
    private readonly recorder: LockdownRecorder,
    private readonly lockdownSwitch: LockdownSwitch,
    @Inject(SETTINGS) settings: LockdownControllerSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.rules = { strictMode: settings.STRICT_MODE === 'true', threshold: settings.CRITICAL_ANOMALY_THRESHOLD, windowMs: settings.CRITICAL_ANOMALY_WINDOW_MS };
    this.exempt = new Set(settings.AUTO_LOCKDOWN_EXEMPT_TENANTS.split(',').filter(Boolean));
  }

  async onApplicationBootstrap(): Promise<void> {
    await ensureAnomaliesConsumer(await jetstreamManager(this.connection), this.topology.ledgerStream);
    this.running = await consumeInBatches({
      connection: this.connection,
      stream: this.topology.ledgerStream,
      durable: ANOMALIES_CONSUMER,
      maxBatch: MAX_BATCH,
      decode: decodeEvent,
      handle: (events) => this.handle(events),
      retryDelayMs: RETRY_MS,
      logger: this.logger,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.running?.stop();
    this.running = undefined;
  }

  async handle(events: LedgerEvent[]): Promise<Verdict[]> {
    const verdicts: Verdict[] = [];
    for (const event of events) {
      if (event.type !== 'AnomalyRecorded' || this.exempt.has(event.tenantId)) {
        verdicts.push(Verdicts.ack());
        continue;
      }
      try {
        await this.decide(event);
        verdicts.push(Verdicts.ack());
      } catch (error) {
        this.logger.error({ err: error, tenantId: event.tenantId, eventId: event.eventId }, 'could not decide on an anomaly; it will be delivered again');
        verdicts.push(Verdicts.nak(RETRY_MS));
      }
    }
    return verdicts;
  }

  private async decide(event: LedgerEvent): Promise<void> {
    const [global, tenant] = await Promise.all([this.lockdownSwitch.read(GLOBAL_LOCKDOWN_KEY), this.lockdownSwitch.read(tenantLockdownKey(event.tenantId))]);
    if (global || tenant) return;
    const recent = await this.ledgers.since(event.tenantId, new Date(Date.parse(event.recordedAt) - this.rules.windowMs));
    const finding = lockdownTriggerFor(event, recent, this.rules);
    if (!finding) return;
    await this.recorder.engage({
      scope: 'tenant',
      tenantId: event.tenantId,
      trigger: finding.trigger,
      reason: finding.reason,
      by: KERNEL,
      evidence: finding.evidence,
      lockdownId: lockdownIdFor(event),
    });
  }
}
