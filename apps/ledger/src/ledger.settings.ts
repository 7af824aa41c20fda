import { IsIn, ValidateBy } from 'class-validator';
import { isEd25519PublicKeyList as isPublicKeyList, signingKeyFrom } from '@halm/domain';
import { DatabaseServiceSettings, WholeNumber } from '@halm/platform';

const isEd25519PrivateKey = (value: unknown): boolean => {
  try {
    signingKeyFrom(String(value));
    return true;
  } catch {
    return false;
  }
};

const isEd25519PublicKeyList = (value: unknown): boolean => isPublicKeyList(String(value), true);

/** The ledger also projects its stream into PostgreSQL, so it needs DATABASE_URL. */
export class LedgerSettings extends DatabaseServiceSettings {
  /** Replicas of the ledger stream: 1 on one node, 3 on a JetStream cluster. */
  // An even count adds a replica without adding a failure it survives.
  @IsIn([1, 3, 5], { message: 'must be 1, 3 or 5' })
  LEDGER_REPLICAS = 1;

  /** How often due veto windows are looked for: a window's end is recorded at most this long after its deadline. */
  @WholeNumber(50, 60_000, 'milliseconds')
  VETO_SWEEP_MS = 1_000;

  /**
   * The Ed25519 key checkpoints are signed with (PKCS#8 DER, base64url); every ledger instance
   * of a deployment uses the same one. Its key id is derived from its public key, so rotating
   * means starting the ledgers with a new key and listing the old public key as retired.
   */
  @ValidateBy(
    { name: 'isEd25519PrivateKey', validator: { validate: isEd25519PrivateKey } },
    { message: 'must be an Ed25519 private key, PKCS#8 DER in base64url (./halm keys signing makes one)' },
  )
  LEDGER_SIGNING_KEY = '';

  /** Public keys (SPKI DER, base64url, comma-separated) of earlier signing keys, still published so that older checkpoints verify. */
  @ValidateBy(
    { name: 'isEd25519PublicKeyList', validator: { validate: isEd25519PublicKeyList } },
    { message: 'must be Ed25519 public keys, SPKI DER in base64url, separated by commas (or empty)' },
  )
  LEDGER_RETIRED_PUBLIC_KEYS = '';

  /** How often each tenant whose ledger grew gets a signed checkpoint; 0 signs only on demand. */
  @WholeNumber(0, 86_400_000, 'milliseconds')
  CHECKPOINT_INTERVAL_MS = 60_000;
}
