import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { ActionType } from '@halm/contracts';
import { canonicalize } from '../ledger/canonical-json';
import { sha256Hex } from '../ledger/hash-chain';

/**
 * What an execution token grants: one execution of exactly this action, for this tenant's
 * proposal, under the decision recorded with this hash, until `exp`. Compact JWS signed
 * with Ed25519 (`alg: EdDSA`); `kid` names the key so keys can rotate.
 */
export interface ExecutionTokenClaims {
  iss: 'halm';
  /** Tenant id. */
  tid: string;
  /** Proposal id. */
  pid: string;
  /** The hash of the ledger event that made the action executable (its decision, approval or elapsed veto window). */
  dh: string;
  /** SHA-256 (hex) of the RFC 8785 form of `{type, payload}`: the exact action. */
  ad: string;
  /** Issued and expires at, seconds since the epoch. */
  iat: number;
  exp: number;
  /** The token's id; an executor accepts each id once. */
  jti: string;
}

export const TOKEN_TYPE = 'halm-exec+jwt';

const base64url = (bytes: Buffer | string): string => Buffer.from(bytes).toString('base64url');

/** The digest that binds a token to one action: any change to type or payload changes it. */
export const actionDigest = (type: ActionType, payload: unknown): string => sha256Hex(canonicalize({ type, payload }));

/** An Ed25519 private key from its PKCS#8 DER, base64 or base64url encoded. */
export const signingKeyFrom = (encoded: string): KeyObject => {
  const key = createPrivateKey({ key: Buffer.from(encoded, 'base64url'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the signing key is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
};

/** An Ed25519 public key from its SPKI DER, base64 or base64url encoded. */
export const verifyingKeyFrom = (encoded: string): KeyObject => {
  const key = createPublicKey({ key: Buffer.from(encoded, 'base64url'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the public key is ${key.asymmetricKeyType}, not Ed25519`);
  return key;
};

export const publicKeyOf = (signingKey: KeyObject): string => base64url(createPublicKey(signingKey).export({ format: 'der', type: 'spki' }));

export const signExecutionToken = (claims: ExecutionTokenClaims, signingKey: KeyObject, keyId: string): string => {
  const header = base64url(JSON.stringify({ alg: 'EdDSA', typ: TOKEN_TYPE, kid: keyId }));
  const payload = base64url(JSON.stringify(claims));
  const signature = sign(null, Buffer.from(`${header}.${payload}`), signingKey);
  return `${header}.${payload}.${base64url(signature)}`;
};

export type TokenVerification =
  | { ok: true; claims: ExecutionTokenClaims; keyId: string }
  | { ok: false; reason: 'MALFORMED' | 'UNKNOWN_KEY' | 'BAD_SIGNATURE' | 'EXPIRED'; detail: string };

/** Checks form, key, signature and expiry; binding to a tenant, proposal and action is the caller's to compare. */
export const verifyExecutionToken = (token: string, verifyingKeys: ReadonlyMap<string, KeyObject>, nowSeconds: number): TokenVerification => {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'MALFORMED', detail: 'not a compact JWS' };
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: { alg?: unknown; typ?: unknown; kid?: unknown };
  let claims: ExecutionTokenClaims;
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'MALFORMED', detail: 'header or claims are not JSON' };
  }
  // Only EdDSA: a token that names another algorithm (`none`, an HMAC) is refused outright.
  if (header.alg !== 'EdDSA' || header.typ !== TOKEN_TYPE || typeof header.kid !== 'string') return { ok: false, reason: 'MALFORMED', detail: 'not a Halm execution token' };
  const key = verifyingKeys.get(header.kid);
  if (!key) return { ok: false, reason: 'UNKNOWN_KEY', detail: `no key ${header.kid}` };
  if (!verify(null, Buffer.from(`${headerPart}.${payloadPart}`), key, Buffer.from(signaturePart, 'base64url'))) {
    return { ok: false, reason: 'BAD_SIGNATURE', detail: 'the signature does not match' };
  }
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return { ok: false, reason: 'EXPIRED', detail: `expired at ${claims.exp}` };
  return { ok: true, claims, keyId: header.kid };
};
