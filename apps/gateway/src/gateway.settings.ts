import { IsIn, IsString, MinLength, ValidateBy, ValidateIf } from 'class-validator';
import { signingKeyFrom } from '@halm/domain';
import { DatabaseServiceSettings, WholeNumber } from '@halm/platform';

const isEd25519PrivateKey = (value: unknown): boolean => {
  try {
    signingKeyFrom(String(value));
    return true;
  } catch {
    return false;
  }
};

export class GatewaySettings extends DatabaseServiceSettings {
  /**
   * The Ed25519 key execution tokens are signed with (PKCS#8 DER, base64url); its key id is
   * derived from its public key, so rotating means starting gateways with a new key.
   * `./halm keys signing` prints a new one.
   */
  @ValidateBy(
    { name: 'isEd25519PrivateKey', validator: { validate: isEd25519PrivateKey } },
    { message: 'must be an Ed25519 private key, PKCS#8 DER in base64url (./halm keys signing makes one)' },
  )
  EXECUTION_TOKEN_SIGNING_KEY = '';

  /** How long an execution token may be used after it is issued. */
  @WholeNumber(5, 3_600, 'seconds')
  EXECUTION_TOKEN_TTL_SECONDS = 300;

  @WholeNumber(10, 60_000, 'milliseconds')
  EVALUATE_TIMEOUT_MS = 2_000;

  @WholeNumber(10, 60_000, 'milliseconds')
  APPEND_TIMEOUT_MS = 5_000;

  /**
   * How long an execute request may take end to end: a webhook with its retries, or a
   * duplicate waiting for the first request's outcome. Keep it above the executor's
   * EXECUTE_WAIT_MS and its webhook retry budget.
   */
  @WholeNumber(100, 300_000, 'milliseconds')
  EXECUTE_TIMEOUT_MS = 60_000;

  /** How long a verified API key is trusted before it is looked up again (revocation latency). */
  @WholeNumber(0, 300_000, 'milliseconds')
  API_KEY_CACHE_MS = 5_000;

  /** The deployment's operator key, for creating tenants over HTTP; empty disables that API. */
  @ValidateIf((settings: GatewaySettings) => settings.OPERATOR_API_KEY !== '')
  @MinLength(24, { message: 'must be at least 24 characters (or empty to disable the operator API)' })
  @IsString()
  OPERATOR_API_KEY = '';

  /** The public sandbox tenant behind `POST /api/sandbox/authorize` and the docs page's playground; `false` answers 404. */
  @IsIn(['true', 'false'], { message: 'must be true or false' })
  SANDBOX_ENABLED = 'true';

  /** Sandbox requests each client IP may make per SANDBOX_RATE_WINDOW_MS (the token bucket's refill). */
  @WholeNumber(1, 100_000, 'requests')
  SANDBOX_RATE_LIMIT = 10;

  @WholeNumber(100, 86_400_000, 'milliseconds')
  SANDBOX_RATE_WINDOW_MS = 10_000;

  /** How many sandbox requests a client IP may make at once after being idle (the bucket's size). */
  @WholeNumber(1, 100_000, 'requests')
  SANDBOX_BURST = 10;
}
