import { TokenBucketLimiter } from './token-bucket';

describe('TokenBucketLimiter', () => {
  const tenPerTenSeconds = () => new TokenBucketLimiter({ refill: 10, windowMs: 10_000, burst: 10 });

  it('lets a burst through at once, then refuses with the seconds until the next token', () => {
    const limiter = tenPerTenSeconds();

    const answers = Array.from({ length: 11 }, () => limiter.take('203.0.113.7', 0));

    expect(answers.slice(0, 10).every((answer) => answer.allowed)).toBe(true);
    expect(answers.slice(0, 10).map((answer) => (answer.allowed ? answer.remaining : -1))).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(answers[10]).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('refills at the configured rate and never beyond the burst', () => {
    const limiter = tenPerTenSeconds();
    for (let index = 0; index < 10; index += 1) limiter.take('a', 0);

    expect(limiter.take('a', 999).allowed).toBe(false);
    expect(limiter.take('a', 1_000)).toEqual({ allowed: true, remaining: 0 });
    expect(limiter.take('a', 1_500).allowed).toBe(false);
    // An hour idle is still only a burst of 10.
    const later = Array.from({ length: 11 }, () => limiter.take('a', 3_600_000));
    expect(later.filter((answer) => answer.allowed)).toHaveLength(10);
  });

  it('keeps one bucket per client', () => {
    const limiter = new TokenBucketLimiter({ refill: 1, windowMs: 60_000, burst: 2 });

    expect([limiter.take('a', 0), limiter.take('a', 0), limiter.take('a', 0)].map((answer) => answer.allowed)).toEqual([true, true, false]);
    expect(limiter.take('b', 0).allowed).toBe(true);
  });

  it('rounds Retry-After up to whole seconds of a slow refill', () => {
    const limiter = new TokenBucketLimiter({ refill: 1, windowMs: 60_000, burst: 1 });
    limiter.take('a', 0);

    expect(limiter.take('a', 0)).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(limiter.take('a', 30_500)).toEqual({ allowed: false, retryAfterSeconds: 30 });
  });

  it('forgets idle clients first when it tracks too many, and stays bounded', () => {
    const limiter = new TokenBucketLimiter({ refill: 10, windowMs: 10_000, burst: 10, maxClients: 100 });
    limiter.take('busy', 0);
    for (let index = 0; index < 1_000; index += 1) limiter.take(`client-${index}`, index * 2_000);

    expect(limiter.size).toBeLessThanOrEqual(100);
  });

  it('refuses a configuration that would never let anything through', () => {
    expect(() => new TokenBucketLimiter({ refill: 0, windowMs: 1_000, burst: 1 })).toThrow();
    expect(() => new TokenBucketLimiter({ refill: 1, windowMs: 1_000, burst: 0 })).toThrow();
  });
});
