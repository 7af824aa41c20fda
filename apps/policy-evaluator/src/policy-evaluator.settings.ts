import { ServiceSettings, WholeNumber } from '@halm/platform';

export class PolicyEvaluatorSettings extends ServiceSettings {
  /** How long to wait for the ledger's answer on a tenant's policy and budget usage. */
  @WholeNumber(10, 60_000, 'milliseconds')
  STATE_TIMEOUT_MS = 2_000;

  /**
   * How long a tenant's state (policy in force, budget usage) read from the ledger is reused.
   * Safe because the ledger refuses a decision taken on a stale reading and the gateway asks
   * again with a fresh one; 0 reads it for every decision.
   */
  @WholeNumber(0, 5_000, 'milliseconds')
  STATE_CACHE_MS = 200;

  /** This many denials of one agent within REPEATED_DENIALS_WINDOW_MS are recorded as a REPEATED_DENIALS anomaly (counted per instance). */
  @WholeNumber(1, 10_000, 'denials')
  REPEATED_DENIALS_THRESHOLD = 5;

  @WholeNumber(1_000, 86_400_000, 'milliseconds')
  REPEATED_DENIALS_WINDOW_MS = 60_000;
}
