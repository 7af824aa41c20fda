import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { jetstream, StorageType } from '@nats-io/jetstream';
import type { NatsConnection, QueuedIterator } from '@nats-io/transport-node';
import type { LockdownRecord, LockdownScope, LockdownTrigger, Topology } from '@halm/contracts';
import type { Logger } from 'pino';

/** What an executor or an evaluator needs to know about one tenant: whether a lockdown is in force for it, and which. */
export interface LockdownStatus {
  active: boolean;
  scope: LockdownScope | null;
  lockdownId: string | null;
  trigger: LockdownTrigger | null;
  reason: string | null;
  engagedAt: string | null;
}

export type { LockdownRecord };

/** The lockdown state could not be read: the caller must act as if a lockdown were in force (fail closed). */
export class LockdownUnknownError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockdownUnknownError';
  }
}

export const GLOBAL_LOCKDOWN_KEY = 'global';
export const tenantLockdownKey = (tenantId: string): string => `tenant.${tenantId}`;
export const lockdownKeyOf = (scope: LockdownScope, tenantId: string | null): string => (scope === 'global' ? GLOBAL_LOCKDOWN_KEY : tenantLockdownKey(tenantId ?? ''));

export const NO_LOCKDOWN: LockdownStatus = Object.freeze({ active: false, scope: null, lockdownId: null, trigger: null, reason: null, engagedAt: null });

export const statusOf = (record: LockdownRecord | null | undefined): LockdownStatus =>
  record
    ? { active: true, scope: record.scope, lockdownId: record.lockdownId, trigger: record.trigger, reason: record.reason, engagedAt: record.engagedAt }
    : NO_LOCKDOWN;

// The few last states of each key stay readable for an operator (`nats kv history`); the ledger is the record.
const BUCKET_HISTORY = 5;

/**
 * Creates the lockdown bucket unless it exists (file storage, a short history per key). An
 * existing bucket is opened as it is, so a service that may not create streams can call it.
 */
export const ensureLockdownBucket = async (connection: NatsConnection, topology: Topology, replicas = 1, timeoutMs = 5_000): Promise<KV> =>
  new Kvm(jetstream(connection, { timeout: timeoutMs })).create(topology.lockdownBucket, { history: BUCKET_HISTORY, storage: StorageType.File, replicas });

const recordOf = (entry: KvEntry | null): LockdownRecord | null => {
  if (!entry || entry.operation !== 'PUT') return null;
  return entry.json<LockdownRecord>();
};

/** The record in force for a tenant: a global lockdown covers every tenant, so it is the one reported. */
const effective = (global: LockdownRecord | null | undefined, tenant: LockdownRecord | null | undefined): LockdownStatus => statusOf(global ?? tenant);

const RESTART_DELAY_MS = 500;
const ENGAGE_ATTEMPTS = 5;

export interface LockdownStateOptions {
  logger?: Logger;
  /** How long `check` waits for the bucket when it must read it directly; then it fails closed. */
  readTimeoutMs?: number;
}

/**
 * Every instance's view of the lockdown state: a KV watch of the lockdown bucket kept in
 * memory, so `check` costs nothing on the hot path and sees a change as soon as NATS delivers
 * it. Whenever the watch is not known to be complete and current (not yet initialised, the
 * connection dropped, the watch ended), `check` reads the bucket itself; if that fails too it
 * throws LockdownUnknownError, and the caller refuses (fail closed).
 */
export class LockdownState {
  private readonly records = new Map<string, LockdownRecord>();
  private bucket: KV | undefined;
  private watch: QueuedIterator<KvEntry> | undefined;
  /** True only while the watch has delivered everything the bucket held when it began, and the connection has not dropped since. */
  private current = false;
  private stopped = false;
  private generation = 0;
  private statusLoop: Promise<void> | undefined;

  constructor(
    private readonly connection: NatsConnection,
    private readonly topology: Topology,
    private readonly options: LockdownStateOptions = {},
  ) {}

  /** Ensures the bucket and starts the watch; resolves once the watch has caught up, or once its first attempt failed (then `check` reads directly). */
  async start(): Promise<void> {
    this.stopped = false;
    this.bucket = await ensureLockdownBucket(this.connection, this.topology, 1, this.options.readTimeoutMs ?? 1_000);
    this.statusLoop ??= this.followConnection();
    await this.restartWatch();
  }

  /** Whether the in-memory view is complete and current (for health checks and tests). */
  get watching(): boolean {
    return this.current;
  }

  /** @throws LockdownUnknownError when the state cannot be read (fail closed). */
  async check(tenantId: string): Promise<LockdownStatus> {
    if (this.current && !this.connection.isClosed()) return effective(this.records.get(GLOBAL_LOCKDOWN_KEY), this.records.get(tenantLockdownKey(tenantId)));
    if (!this.bucket) throw new LockdownUnknownError('the lockdown state was never opened (LockdownState.start)');
    try {
      const [global, tenant] = await Promise.all([this.bucket.get(GLOBAL_LOCKDOWN_KEY), this.bucket.get(tenantLockdownKey(tenantId))]);
      return effective(recordOf(global), recordOf(tenant));
    } catch (error) {
      throw new LockdownUnknownError(`the lockdown state cannot be read: ${(error as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current = false;
    this.generation += 1;
    this.watch?.stop();
    this.watch = undefined;
  }

  private async followConnection(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (this.stopped) continue;
      // Updates may have been missed while disconnected: until a new watch has caught up, read directly.
      if (status.type === 'disconnect' || status.type === 'reconnecting' || status.type === 'staleConnection') this.current = false;
      if (status.type === 'reconnect') void this.restartWatch();
    }
    this.current = false;
  }

  private async restartWatch(): Promise<void> {
    const generation = ++this.generation;
    this.current = false;
    this.watch?.stop();
    this.watch = undefined;
    const bucket = this.bucket;
    if (!bucket || this.stopped || this.connection.isClosed()) return;
    try {
      // Everything up to this revision must have arrived before the view is complete.
      const lastRevision = (await bucket.status()).streamInfo.state.last_seq;
      const watch = await bucket.watch();
      if (generation !== this.generation) {
        watch.stop();
        return;
      }
      this.watch = watch;
      this.records.clear();
      let caughtUp!: () => void;
      const ready = new Promise<void>((resolve) => (caughtUp = resolve));
      if (lastRevision === 0) {
        this.current = true;
        caughtUp();
      }
      void (async () => {
        try {
          for await (const entry of watch) {
            const record = recordOf(entry);
            if (record) this.records.set(entry.key, record);
            else this.records.delete(entry.key);
            if (entry.revision >= lastRevision && generation === this.generation && !this.current) {
              this.current = true;
              caughtUp();
            }
          }
        } catch (error) {
          this.options.logger?.warn({ err: error }, 'lockdown watch failed');
        }
        caughtUp();
        if (generation !== this.generation) return;
        this.current = false;
        if (!this.stopped && !this.connection.isClosed()) setTimeout(() => void this.restartWatch(), RESTART_DELAY_MS).unref();
      })();
      await ready;
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'lockdown watch could not start; reading the bucket on each check until it does');
      if (generation === this.generation && !this.stopped && !this.connection.isClosed()) setTimeout(() => void this.restartWatch(), RESTART_DELAY_MS).unref();
    }
  }
}

/** The outcome of engaging: either this call put the lockdown in force, or another one was in force already for that key. */
export type EngageOutcome = { engaged: true; record: LockdownRecord } | { engaged: false; record: LockdownRecord };

/**
 * Writes the lockdown bucket: the lockdown controller's side. One lockdown per key at a time:
 * engaging uses KV `create`, which only one writer can win, so controller instances racing
 * on the same trigger put exactly one lockdown in force.
 */
export class LockdownSwitch {
  private constructor(private readonly bucket: KV) {}

  static async open(connection: NatsConnection, topology: Topology, replicas = 1): Promise<LockdownSwitch> {
    return new LockdownSwitch(await ensureLockdownBucket(connection, topology, replicas));
  }

  async read(key: string): Promise<{ record: LockdownRecord; revision: number } | null> {
    const entry = await this.bucket.get(key);
    const record = recordOf(entry);
    return record && entry ? { record, revision: entry.revision } : null;
  }

  /** Every lockdown in force: the global one and each tenant's. */
  async all(): Promise<LockdownRecord[]> {
    const records: LockdownRecord[] = [];
    for await (const key of await this.bucket.keys()) {
      const found = await this.read(key);
      if (found) records.push(found.record);
    }
    return records;
  }

  async engage(record: LockdownRecord): Promise<EngageOutcome> {
    const key = lockdownKeyOf(record.scope, record.tenantId);
    let failure: unknown;
    for (let attempt = 0; attempt < ENGAGE_ATTEMPTS; attempt += 1) {
      try {
        await this.bucket.create(key, JSON.stringify(record));
        return { engaged: true, record };
      } catch (error) {
        failure = error;
        const existing = await this.read(key);
        // Released between the failed create and the read, or the create failed for another reason: try again.
        if (!existing) continue;
        // A retry of the same engage finds its own record.
        if (existing.record.lockdownId === record.lockdownId) return { engaged: true, record: existing.record };
        return { engaged: false, record: existing.record };
      }
    }
    throw failure;
  }

  /** Clears the key if this lockdown is the one in force there; false when it is not (released already, or another one). */
  async release(scope: LockdownScope, tenantId: string | null, lockdownId: string): Promise<boolean> {
    const key = lockdownKeyOf(scope, tenantId);
    const existing = await this.read(key);
    if (!existing || existing.record.lockdownId !== lockdownId) return false;
    await this.bucket.delete(key, { previousSeq: existing.revision });
    return true;
  }
}
