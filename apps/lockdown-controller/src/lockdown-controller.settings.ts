import { IsIn, Matches } from 'class-validator';
import { DatabaseServiceSettings, WholeNumber } from '@halm/platform';

/** The controller lists tenants from PostgreSQL for a global lockdown, so it needs DATABASE_URL. */
export class LockdownControllerSettings extends DatabaseServiceSettings {
  /** `true`: an integrity finding (HASH_CHAIN_FAILURE, INVARIANT_VIOLATION) locks its tenant down at once. */
  @IsIn(['true', 'false'], { message: 'must be true or false' })
  STRICT_MODE = 'false';

  /** This many critical anomalies of one tenant within CRITICAL_ANOMALY_WINDOW_MS lock it down. */
  @WholeNumber(1, 1_000, 'anomalies')
  CRITICAL_ANOMALY_THRESHOLD = 3;

  @WholeNumber(1_000, 86_400_000, 'milliseconds')
  CRITICAL_ANOMALY_WINDOW_MS = 300_000;

  /**
   * Tenants whose anomalies never engage a lockdown by themselves (comma-separated): by default
   * the public sandbox, where anyone could otherwise lock the playground down. Their anomalies
   * are still recorded, and an admin can still engage a lockdown by hand.
   */
  @Matches(/^([A-Za-z0-9_-]{1,64}(,[A-Za-z0-9_-]{1,64})*)?$/, { message: 'must be tenant ids separated by commas (or empty)' })
  AUTO_LOCKDOWN_EXEMPT_TENANTS = 'sandbox';

  /** How long to wait for the ledger to record one lockdown event. */
  @WholeNumber(10, 60_000, 'milliseconds')
  APPEND_TIMEOUT_MS = 5_000;
}
