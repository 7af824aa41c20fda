import { backoffMs, delayBeforeRetryMs, retryAfterMs } from './retry-schedule';

const SCHEDULE = { initialBackoffMs: 200, maxBackoffMs: 5_000 };
const highest = () => 0.999_999_999;

describe('backoffMs', () => {
  it('doubles its ceiling with each failed attempt up to the longest wait', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 30].map((failed) => backoffMs(failed, SCHEDULE, highest))).toEqual([200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000]);
  });

  it('draws any whole wait from zero to the ceiling', () => {
    expect(backoffMs(3, SCHEDULE, () => 0)).toBe(0);
    expect(backoffMs(3, SCHEDULE, () => 0.5)).toBe(400);
    expect(Number.isInteger(backoffMs(3, SCHEDULE, () => 0.123_456))).toBe(true);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2026-11-21T12:00:00Z');

  it.each([
    [null, null],
    ['0', 0],
    [' 3 ', 3_000],
    ['Sat, 21 Nov 2026 12:00:02 GMT', 2_000],
    ['Sat, 21 Nov 2026 11:59:00 GMT', 0],
    ['soon', null],
    ['-1', null],
  ])('reads %p as %p ms', (header, expected) => {
    expect(retryAfterMs(header, now)).toBe(expected);
  });
});

describe('delayBeforeRetryMs', () => {
  it("prefers the receiver's Retry-After, capped by the longest wait", () => {
    expect(delayBeforeRetryMs(1, 1_000, SCHEDULE, highest)).toBe(1_000);
    expect(delayBeforeRetryMs(1, 3_600_000, SCHEDULE, highest)).toBe(5_000);
  });

  it('falls back on the backoff without a Retry-After', () => {
    expect(delayBeforeRetryMs(2, null, SCHEDULE, highest)).toBe(400);
  });
});
