import { Inject, Injectable } from '@nestjs/common';
import type { Proposal } from '@halm/contracts';
import { actionDigest, publicKeyId, publicKeyOf, signExecutionToken, signingKeyFrom } from '@halm/domain';
import { SETTINGS } from '@halm/platform';
import type { KeyObject } from 'node:crypto';
import type { GatewaySettings } from './gateway.settings';
import { randomHex } from './random-hex';

/** Signs the single-use token an executable proposal is answered with. */
@Injectable()
export class ExecutionTokenIssuer {
  private readonly signingKey: KeyObject;
  /** Derived from the public key: a new key is a new id, and verifiers pick the key by it. */
  readonly keyId: string;
  readonly publicKey: string;

  constructor(@Inject(SETTINGS) private readonly settings: GatewaySettings) {
    this.signingKey = signingKeyFrom(settings.EXECUTION_TOKEN_SIGNING_KEY);
    this.publicKey = publicKeyOf(this.signingKey);
    this.keyId = publicKeyId(this.publicKey);
  }

  /** A token for exactly this proposal's action, bound to the hash of the ledger event that made it executable. */
  issue(proposal: Proposal, executableEventHash: string, now: Date): string {
    const iat = Math.floor(now.getTime() / 1000);
    return signExecutionToken(
      {
        iss: 'halm',
        tid: proposal.tenantId,
        pid: proposal.proposalId,
        dh: executableEventHash,
        ad: actionDigest(proposal.type, proposal.payload),
        iat,
        exp: iat + this.settings.EXECUTION_TOKEN_TTL_SECONDS,
        jti: `tok_${randomHex(12)}`,
      },
      this.signingKey,
      this.keyId,
    );
  }
}
