import { IsIn, ValidateBy } from 'class-validator';
import { isEd25519PublicKeyList } from '@halm/domain';
import { DatabaseServiceSettings, WholeNumber } from '@halm/platform';

const isListOfEd25519PublicKeysOrEmpty = (value: unknown): boolean => isEd25519PublicKeyList(String(value), true);

export class IntegrityMonitorSettings extends DatabaseServiceSettings {
  /** How often every tenant is checked (the transparency page's 5 minutes); 0: only when asked. */
  @WholeNumber(0, 86_400_000, 'milliseconds')
  INTEGRITY_CHECK_INTERVAL_MS = 300_000;

  /** `true`: a violation also locks its tenant down (the lockdown controller's setting of the same name). */
  @IsIn(['true', 'false'], { message: 'must be true or false' })
  STRICT_MODE = 'false';

  /**
   * The gateways' execution-token public keys, as the executors list them, retired ones
   * included: EXECUTION_TOKEN_REQUIRED then also checks that each execution's token key is
   * one of them. Empty: the key id is only required, not checked.
   */
  @ValidateBy(
    { name: 'isListOfEd25519PublicKeysOrEmpty', validator: { validate: isListOfEd25519PublicKeysOrEmpty } },
    { message: 'must list Ed25519 public keys, SPKI DER in base64url, comma-separated (or be empty)' },
  )
  EXECUTION_TOKEN_PUBLIC_KEYS = '';

  /** A check asked for waits this long for a tenant another instance is checking; a scheduled one skips it. */
  @WholeNumber(0, 600_000, 'milliseconds')
  INTEGRITY_LOCK_WAIT_MS = 30_000;

  /** How long to wait for the ledger (an anomaly, the run's event, the public keys) and the lockdown controller. */
  @WholeNumber(10, 60_000, 'milliseconds')
  APPEND_TIMEOUT_MS = 5_000;

  /** This instance's name in the runs it records (empty: host name and port). */
  MONITOR_ID = '';
}
