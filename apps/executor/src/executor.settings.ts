import { IsString, MinLength, ValidateBy } from 'class-validator';
import { isEd25519PublicKeyList } from '@halm/domain';
import { DatabaseServiceSettings, WholeNumber } from '@halm/platform';

const isListOfEd25519PublicKeys = (value: unknown): boolean => isEd25519PublicKeyList(String(value), false);

export class ExecutorSettings extends DatabaseServiceSettings {
  /**
   * The Ed25519 public keys (SPKI DER, base64url, comma-separated) whose execution tokens are
   * honoured. During a rotation it lists the old and the new gateway key; the old one is
   * removed once its last tokens expired (EXECUTION_TOKEN_TTL_SECONDS).
   */
  @ValidateBy(
    { name: 'isListOfEd25519PublicKeys', validator: { validate: isListOfEd25519PublicKeys } },
    { message: 'must list one or more Ed25519 public keys, SPKI DER in base64url, comma-separated (./halm keys signing prints a pair)' },
  )
  EXECUTION_TOKEN_PUBLIC_KEYS = '';

  /**
   * This instance's name in the ledger's ExecutionStarted events. Keep it stable across
   * restarts (empty: host name and port), so that a restarted executor recognises the
   * executions its previous run left in doubt and resolves them at once.
   */
  EXECUTOR_ID = '';

  @WholeNumber(10, 60_000, 'milliseconds')
  APPEND_TIMEOUT_MS = 5_000;

  /** How long a duplicate request waits for the execution already under way before it answers IN_PROGRESS. */
  @WholeNumber(0, 120_000, 'milliseconds')
  EXECUTE_WAIT_MS = 30_000;

  /** How often a live executor renews its heartbeat. */
  @WholeNumber(100, 60_000, 'milliseconds')
  EXECUTOR_HEARTBEAT_MS = 2_000;

  /** A heartbeat older than this means the executor is gone: its open executions are resolved as in doubt. */
  @WholeNumber(1_000, 600_000, 'milliseconds')
  EXECUTOR_LEASE_MS = 15_000;

  /** How often abandoned executions are looked for (and once at start). */
  @WholeNumber(100, 600_000, 'milliseconds')
  IN_DOUBT_SWEEP_MS = 5_000;

  /** The HMAC-SHA256 secret `webhook:send` signs its bodies with (the `Halm-Signature` header). */
  @MinLength(32, { message: 'must be at least 32 characters' })
  @IsString()
  WEBHOOK_SIGNING_SECRET = '';

  @WholeNumber(100, 120_000, 'milliseconds')
  WEBHOOK_TIMEOUT_MS = 5_000;

  @WholeNumber(1, 20, 'attempts')
  WEBHOOK_MAX_ATTEMPTS = 5;

  @WholeNumber(1, 60_000, 'milliseconds')
  WEBHOOK_INITIAL_BACKOFF_MS = 200;

  @WholeNumber(1, 600_000, 'milliseconds')
  WEBHOOK_MAX_BACKOFF_MS = 5_000;
}
