export interface RetrySchedule {
  initialBackoffMs: number;
  maxBackoffMs: number;
}

/**
 * "Full jitter": a uniformly random wait between zero and the exponential ceiling, so
 * executors retrying against the same failing receiver spread out instead of arriving together.
 * `failedAttempts` counts the attempts made so far (1 before the first retry).
 */
export const backoffMs = (failedAttempts: number, schedule: RetrySchedule, random: () => number): number => {
  const ceiling = Math.min(schedule.maxBackoffMs, schedule.initialBackoffMs * 2 ** (failedAttempts - 1));
  return Math.min(ceiling, Math.floor(random() * (ceiling + 1)));
};

/** A `Retry-After` value (delay in seconds or an HTTP date) in milliseconds from now; null when absent or unreadable. */
export const retryAfterMs = (header: string | null, nowMs: number): number | null => {
  if (header === null) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  // HTTP dates end in GMT; without this check Date.parse would read "-1" as a year
  const at = value.endsWith('GMT') ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
};

/** The receiver's `Retry-After` when it gave one, never longer than the schedule's longest wait; otherwise the backoff. */
export const delayBeforeRetryMs = (failedAttempts: number, retryAfter: number | null, schedule: RetrySchedule, random: () => number): number =>
  retryAfter === null ? backoffMs(failedAttempts, schedule, random) : Math.min(retryAfter, schedule.maxBackoffMs);
