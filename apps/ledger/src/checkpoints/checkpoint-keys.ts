import { Inject, Injectable } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { keyListOf, publicKeyId, publicKeyOf, signingKeyFrom, verifyingKeyFrom } from '@halm/domain';
import type { LedgerPublicKey } from '@halm/messaging';
import { SETTINGS } from '@halm/platform';
import type { LedgerSettings } from '../ledger.settings';

/** The key checkpoints are signed with, and every public key a checkpoint may name. */
@Injectable()
export class CheckpointKeys {
  readonly signingKey: KeyObject;
  /** Derived from the public key (as execution tokens' key ids are): a new key is a new id. */
  readonly keyId: string;
  private readonly keys: LedgerPublicKey[];

  constructor(@Inject(SETTINGS) settings: LedgerSettings) {
    this.signingKey = signingKeyFrom(settings.LEDGER_SIGNING_KEY);
    const publicKey = publicKeyOf(this.signingKey);
    this.keyId = publicKeyId(publicKey);
    // The same key may be spelled in base64 or base64url: its id is taken from one spelling.
    const retired = keyListOf(settings.LEDGER_RETIRED_PUBLIC_KEYS).map((key) => verifyingKeyFrom(key).export({ format: 'der', type: 'spki' }).toString('base64url'));
    this.keys = [publicKey, ...new Set(retired)]
      .filter((key, index) => index === 0 || key !== publicKey)
      .map((key, index) => ({ keyId: publicKeyId(key), publicKey: key, current: index === 0 }));
  }

  /** The current key first, then the retired ones. */
  list(): LedgerPublicKey[] {
    return this.keys.map((key) => ({ ...key }));
  }

  /** Whether checkpoints signed with this key id are the ledger's own. */
  knows(keyId: string): boolean {
    return this.keys.some((key) => key.keyId === keyId);
  }
}
