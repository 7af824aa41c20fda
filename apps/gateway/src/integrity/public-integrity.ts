import { Inject, Injectable } from '@nestjs/common';
import type { Topology } from '@halm/contracts';
import { INVARIANTS } from '@halm/domain';
import { LockdownSwitch, RpcClient, TOPOLOGY } from '@halm/messaging';
import { IntegrityReadModel } from '@halm/persistence';
import { LOGGER } from '@halm/platform';
import type { Logger } from 'pino';

/** `GET /api/public/integrity`: the transparency page's five fields, exactly. */
export interface PublicIntegrityView {
  enforcementActive: boolean;
  invariantsPassing: boolean;
  hashChainValid: boolean;
  lockdownActive: boolean;
  lastIntegrityCheck: string | null;
}

export interface PublicInvariantView {
  name: string;
  description: string;
  /** Null until a check has run. */
  passing: boolean | null;
  lastCheckedAt: string | null;
}

/** `GET /api/public/invariants`. */
export interface PublicInvariantsView {
  invariants: PublicInvariantView[];
}

interface Snapshot {
  integrity: PublicIntegrityView;
  invariants: PublicInvariantsView;
}

/** Both public answers are computed at most this often per gateway; the endpoints say so in Cache-Control. */
export const PUBLIC_CACHE_MS = 5_000;
// The schedule the monitors record; a monitor that runs only on demand (interval 0) is held to the default.
const DEFAULT_INTERVAL_MS = 300_000;
// A run may be late by its own duration and the clocks of two hosts; two intervals and a minute is "recently".
const LATE_SLACK_MS = 60_000;
const PROBE_TIMEOUT_MS = 1_000;

/**
 * What anyone may know of the kernel's integrity, without a key and without a tenant's name
 * or data: counts and times aggregated over every tenant, from the integrity monitor's record,
 * the lockdown bucket and whether the ledger answers. Cached for PUBLIC_CACHE_MS, so the
 * endpoints cost the services nothing however often they are polled.
 *
 * - `invariantsPassing`: a check has run and no incident is open (any invariant, any tenant).
 * - `hashChainValid`: a check has run and no open incident is a HASH_CHAIN_FAILURE (an event
 *   that does not hash or link, a checkpoint that does not match, a truncated chain).
 * - `lockdownActive`: a lockdown, global or of any tenant, is in the lockdown bucket; also when
 *   the bucket cannot be read, since every executor then refuses as if one were.
 * - `enforcementActive`: the enforcement is known to work: a monitor finished a run within two
 *   of its intervals (and a minute), the lockdown state can be read (executors and evaluators
 *   fail closed without it), and the ledger answers (no decision is recorded, so none is
 *   allowed, without it).
 */
@Injectable()
export class PublicIntegrity {
  private cached: { until: number; snapshot: Promise<Snapshot> } | undefined;

  constructor(
    private readonly reads: IntegrityReadModel,
    private readonly lockdownSwitch: LockdownSwitch,
    private readonly rpc: RpcClient,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async integrity(): Promise<PublicIntegrityView> {
    return (await this.snapshot()).integrity;
  }

  async invariants(): Promise<PublicInvariantsView> {
    return (await this.snapshot()).invariants;
  }

  private snapshot(): Promise<Snapshot> {
    const now = performance.now();
    if (this.cached && this.cached.until > now) return this.cached.snapshot;
    const snapshot = this.compute();
    this.cached = { until: now + PUBLIC_CACHE_MS, snapshot };
    return snapshot;
  }

  private async compute(): Promise<Snapshot> {
    const [record, lockdown, ledgerAnswers] = await Promise.all([this.record(), this.lockdown(), this.ledgerAnswers()]);
    const latest = record?.latest ?? null;
    const open = record?.open ?? null;
    const checked = latest !== null && open !== null;
    const lastIntegrityCheck = latest ? latest.finishedAt.toISOString() : null;
    const interval = latest && latest.intervalMs > 0 ? latest.intervalMs : DEFAULT_INTERVAL_MS;
    const recent = latest !== null && Date.now() - latest.finishedAt.getTime() <= 2 * interval + LATE_SLACK_MS;
    return {
      integrity: {
        enforcementActive: recent && lockdown.readable && ledgerAnswers,
        invariantsPassing: checked && open.length === 0,
        hashChainValid: checked && !open.some((count) => count.kind === 'HASH_CHAIN_FAILURE'),
        lockdownActive: lockdown.active,
        lastIntegrityCheck,
      },
      invariants: {
        invariants: INVARIANTS.map(({ name, description }) => ({
          name,
          description,
          passing: checked ? !open.some((count) => count.invariant === name) : null,
          lastCheckedAt: lastIntegrityCheck,
        })),
      },
    };
  }

  /** The latest run and the open incidents; null when PostgreSQL cannot be read (then nothing is claimed to pass). */
  private async record() {
    try {
      const [latest, open] = await Promise.all([this.reads.latestRun(), this.reads.openIncidentCounts()]);
      return { latest, open };
    } catch (error) {
      this.logger.warn({ err: error }, 'the integrity record cannot be read; the public status claims nothing passes');
      return null;
    }
  }

  private async lockdown(): Promise<{ active: boolean; readable: boolean }> {
    try {
      return { active: (await this.lockdownSwitch.all()).length > 0, readable: true };
    } catch (error) {
      this.logger.warn({ err: error }, 'the lockdown state cannot be read; executors refuse meanwhile, so the public status says lockdown');
      return { active: true, readable: false };
    }
  }

  private async ledgerAnswers(): Promise<boolean> {
    try {
      await this.rpc.request(this.topology.publicKeysSubject, {}, PROBE_TIMEOUT_MS);
      return true;
    } catch {
      return false;
    }
  }
}
