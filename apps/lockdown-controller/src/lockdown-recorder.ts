import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import {
  LOCKDOWN_SCOPES,
  LOCKDOWN_TRIGGERS,
  TENANT_ID_PATTERN,
  type Actor,
  type EngageLockdownReply,
  type EngageLockdownRequest,
  type LockdownRecord,
  type LockdownStatusReply,
  type LockdownStatusRequest,
  type ReleaseLockdownReply,
  type ReleaseLockdownRequest,
} from '@halm/contracts';
import { GLOBAL_LOCKDOWN_KEY, LockdownSwitch, RpcError, tenantLockdownKey } from '@halm/messaging';
import { LOGGER } from '@halm/platform';
import type { Logger } from 'pino';
import { TenantLedgers } from './tenant-ledgers';

const LOCKDOWN_ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;
const MAX_REASON = 2_000;
const MAX_EVIDENCE_BYTES = 64 * 1024;
// A global lockdown reaches many tenants: this many appends are in flight at once.
const APPEND_CONCURRENCY = 16;

export const newLockdownId = (): string => `lck_${randomBytes(12).toString('hex')}`;

const bad = (message: string) => new RpcError('BAD_REQUEST', message);

const checkActor = (by: Actor | undefined): Actor => {
  if (!by || (by.kind !== 'key' && by.kind !== 'kernel') || typeof by.id !== 'string' || by.id.length === 0 || by.id.length > 256) {
    throw bad('by must be an actor: { kind: "key" | "kernel", id }');
  }
  return { kind: by.kind, id: by.id };
};

const checkReason = (reason: unknown): string => {
  if (typeof reason !== 'string' || reason.trim() === '') throw bad('reason is required');
  if (reason.length > MAX_REASON) throw bad(`reason must be at most ${MAX_REASON} characters`);
  return reason;
};

const checkScope = (scope: unknown, tenantId: unknown): { scope: LockdownRecord['scope']; tenantId: string | null } => {
  if (!(LOCKDOWN_SCOPES as readonly unknown[]).includes(scope)) throw bad(`scope must be one of ${LOCKDOWN_SCOPES.join(', ')}`);
  if (scope === 'global') {
    if (tenantId !== undefined && tenantId !== null) throw bad('tenantId must be absent for a global lockdown');
    return { scope, tenantId: null };
  }
  if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) throw bad('tenantId is required for a tenant lockdown and must be a valid tenant id');
  return { scope: 'tenant', tenantId };
};

/** Runs `work` for every item, `concurrency` at a time; the first failure is thrown once all have settled. */
const forEachLimited = async <T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> => {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item).catch((error: unknown) => failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
};

/**
 * Engages and releases lockdowns: the state every executor and evaluator reads (the lockdown
 * bucket) and the record of it (a LockdownEngaged or LockdownReleased event in each affected
 * tenant's ledger).
 *
 * Engaging writes the bucket first, then the ledgers; releasing writes the ledgers first,
 * then clears the bucket. Either way the stricter state holds until both are written: an
 * executor refuses as soon as it sees the bucket entry, and the ledger refuses an
 * ExecutionStarted (and an ALLOW) chained after the engage event even from an executor whose
 * view of the bucket lagged. So no execution is recorded after the engage event, and a
 * release takes effect only once it is recorded. A step that fails leaves the stricter state
 * in force; repeating the request completes it, and event ids derived from the lockdown id
 * keep the repetition from recording anything twice.
 */
@Injectable()
export class LockdownRecorder implements OnApplicationBootstrap {
  constructor(
    private readonly ledgers: TenantLedgers,
    private readonly lockdownSwitch: LockdownSwitch,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** A controller that stopped between writing the bucket and the ledgers left lockdowns unrecorded: record them now. */
  onApplicationBootstrap(): void {
    void (async () => {
      try {
        for (const record of await this.lockdownSwitch.all()) await this.recordEngaged(record);
      } catch (error) {
        this.logger.warn({ err: error }, 'could not check that every lockdown in force is recorded; the next engage or release of it will');
      }
    })();
  }

  async engage(request: EngageLockdownRequest): Promise<EngageLockdownReply> {
    const { scope, tenantId } = checkScope(request?.scope, request?.tenantId);
    if (!(LOCKDOWN_TRIGGERS as readonly unknown[]).includes(request.trigger)) throw bad(`trigger must be one of ${LOCKDOWN_TRIGGERS.join(', ')}`);
    const reason = checkReason(request.reason);
    const by = checkActor(request.by);
    const evidence = request.evidence ?? {};
    if (typeof evidence !== 'object' || Array.isArray(evidence) || evidence === null) throw bad('evidence must be an object');
    if (Buffer.byteLength(JSON.stringify(evidence)) > MAX_EVIDENCE_BYTES) throw bad(`evidence must be at most ${MAX_EVIDENCE_BYTES} bytes of JSON`);
    if (request.lockdownId !== undefined && (typeof request.lockdownId !== 'string' || !LOCKDOWN_ID_PATTERN.test(request.lockdownId))) {
      throw bad('lockdownId must be 1 to 100 letters, digits, _ or -');
    }
    const record: LockdownRecord = { lockdownId: request.lockdownId ?? newLockdownId(), scope, tenantId, trigger: request.trigger, reason, by, engagedAt: new Date().toISOString(), evidence };
    let outcome;
    try {
      outcome = await this.lockdownSwitch.engage(record);
    } catch (error) {
      throw new RpcError('UNAVAILABLE', `the lockdown state could not be written: ${(error as Error).message}`);
    }
    // Also when another lockdown was in force already: it may be one whose recording was interrupted.
    const tenants = await this.recordEngaged(outcome.record);
    if (outcome.engaged) this.logger.warn({ lockdownId: outcome.record.lockdownId, scope, tenantId, trigger: record.trigger, tenants }, 'lockdown engaged');
    return { engaged: outcome.engaged && outcome.record.lockdownId === record.lockdownId, lockdown: outcome.record, tenants };
  }

  async release(request: ReleaseLockdownRequest): Promise<ReleaseLockdownReply> {
    const { scope, tenantId } = checkScope(request?.scope, request?.tenantId);
    const reason = checkReason(request.reason);
    const by = checkActor(request.by);
    const found = await this.lockdownSwitch.read(scope === 'global' ? GLOBAL_LOCKDOWN_KEY : tenantLockdownKey(tenantId!)).catch((error: unknown) => {
      throw new RpcError('UNAVAILABLE', `the lockdown state could not be read: ${(error as Error).message}`);
    });
    if (!found) return { released: false, lockdown: null, tenants: 0 };
    const { record } = found;
    const affected = await this.affectedTenants(record);
    let recorded = 0;
    await this.appendToEach(affected, async (tenant) => {
      const data = { lockdownId: record.lockdownId, scope: record.scope, reason, by };
      if (await this.appendLockdownEvent(tenant, `lockdown.${record.lockdownId}.released`, 'LockdownReleased', data)) recorded += 1;
    });
    await this.lockdownSwitch.release(record.scope, record.tenantId, record.lockdownId).catch((error: unknown) => {
      throw new RpcError('UNAVAILABLE', `the release is recorded, but the lockdown state could not be cleared yet (repeat the release): ${(error as Error).message}`);
    });
    this.logger.warn({ lockdownId: record.lockdownId, scope, tenantId, tenants: recorded, by }, 'lockdown released');
    return { released: true, lockdown: record, tenants: recorded };
  }

  async status(request: LockdownStatusRequest): Promise<LockdownStatusReply> {
    if (request?.tenantId !== undefined && (typeof request.tenantId !== 'string' || !TENANT_ID_PATTERN.test(request.tenantId))) throw bad('tenantId must be a valid tenant id');
    try {
      if (request?.tenantId !== undefined) {
        const [global, tenant] = await Promise.all([this.lockdownSwitch.read(GLOBAL_LOCKDOWN_KEY), this.lockdownSwitch.read(tenantLockdownKey(request.tenantId))]);
        return { global: global?.record ?? null, tenants: tenant ? [tenant.record] : [] };
      }
      const all = await this.lockdownSwitch.all();
      return { global: all.find((record) => record.scope === 'global') ?? null, tenants: all.filter((record) => record.scope === 'tenant') };
    } catch (error) {
      throw new RpcError('UNAVAILABLE', `the lockdown state could not be read: ${(error as Error).message}`);
    }
  }

  /** Appends LockdownEngaged to each affected tenant's ledger (again: a repetition is answered with the first copy); how many hold it. */
  private async recordEngaged(record: LockdownRecord): Promise<number> {
    const affected = await this.affectedTenants(record);
    const data = { lockdownId: record.lockdownId, scope: record.scope, trigger: record.trigger, reason: record.reason, by: record.by, evidence: record.evidence };
    let recorded = 0;
    await this.appendToEach(affected, async (tenant) => {
      if (await this.appendLockdownEvent(tenant, `lockdown.${record.lockdownId}.engaged`, 'LockdownEngaged', data)) recorded += 1;
    });
    return recorded;
  }

  private async affectedTenants(record: LockdownRecord): Promise<string[]> {
    if (record.scope === 'tenant') return [record.tenantId!];
    try {
      return await this.ledgers.allTenants();
    } catch (error) {
      throw new RpcError('UNAVAILABLE', `the tenants could not be listed: ${(error as Error).message}`);
    }
  }

  private async appendToEach(tenants: readonly string[], append: (tenantId: string) => Promise<void>): Promise<void> {
    try {
      await forEachLimited(tenants, APPEND_CONCURRENCY, append);
    } catch (error) {
      throw new RpcError('UNAVAILABLE', `the lockdown state is set, but not every ledger recorded the event yet (repeat the request): ${(error as Error).message}`);
    }
  }

  /**
   * True when the tenant's ledger holds the event now. The ledger refuses an engage of a
   * lockdown in force there already and a release of one not in force (CONFLICT): the first
   * is a repetition, the second a tenant the lockdown never reached.
   */
  private async appendLockdownEvent(tenantId: string, eventId: string, type: 'LockdownEngaged' | 'LockdownReleased', data: unknown): Promise<boolean> {
    try {
      await this.ledgers.append({ tenantId, eventId, type, recordedAt: new Date().toISOString(), data });
      return true;
    } catch (error) {
      if (error instanceof RpcError && error.code === 'CONFLICT') return type === 'LockdownEngaged';
      throw error;
    }
  }
}
