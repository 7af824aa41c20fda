/** What the limiter answers for one request. */
export type RateDecision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

export interface TokenBucketOptions {
  /** Tokens added per window: the sustained rate. */
  refill: number;
  windowMs: number;
  /** The bucket's size: how many requests a client that was idle may make at once. */
  burst: number;
  /** Most clients tracked at once; beyond it, idle (full) buckets are dropped first. */
  maxClients?: number;
}

interface Bucket {
  tokens: number;
  /** The clock reading `tokens` was computed at. */
  at: number;
}

/**
 * One token bucket per client key (the sandbox uses the client IP), kept in memory of this
 * process: with several gateway instances behind a balancer each enforces its own limit.
 * The clock is a parameter (milliseconds, monotonic), so the arithmetic is testable.
 *
 * A full bucket is the same as no bucket, so forgetting idle clients loses nothing; the
 * map is swept of them when it grows past `maxClients`.
 */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly maxClients: number;

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.refill > 0 && options.windowMs > 0 && options.burst >= 1)) throw new Error('refill, windowMs and burst must be positive');
    this.perMs = options.refill / options.windowMs;
    this.maxClients = options.maxClients ?? 100_000;
  }

  take(client: string, now: number): RateDecision {
    const bucket = this.current(client, now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      this.store(client, bucket, now);
      return { allowed: true, remaining: Math.floor(bucket.tokens) };
    }
    this.store(client, bucket, now);
    // Whole seconds until one token has dripped back in, at least 1 (Retry-After is in seconds).
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)) };
  }

  /** How many clients are tracked now (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private current(client: string, now: number): Bucket {
    const bucket = this.buckets.get(client);
    if (!bucket) return { tokens: this.options.burst, at: now };
    const elapsed = Math.max(0, now - bucket.at);
    return { tokens: Math.min(this.options.burst, bucket.tokens + elapsed * this.perMs), at: now };
  }

  private store(client: string, bucket: Bucket, now: number): void {
    // Re-inserting keeps the map in least-recently-used order, so eviction drops the stalest first.
    this.buckets.delete(client);
    this.buckets.set(client, bucket);
    if (this.buckets.size > this.maxClients) this.sweep(now);
  }

  private sweep(now: number): void {
    for (const [client, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.options.burst) this.buckets.delete(client);
    }
    // Still too many clients that are all mid-burst: forget the least recently seen.
    for (const client of this.buckets.keys()) {
      if (this.buckets.size <= this.maxClients) break;
      this.buckets.delete(client);
    }
  }
}
