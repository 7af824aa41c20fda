import { sign, verify, type KeyObject } from 'node:crypto';
import { canonicalize } from './canonical-json';

/**
 * What a checkpoint states: the first `treeSize` events of this tenant's ledger have the
 * RFC 9162 Merkle root `rootHash` (lower-case hex), as the ledger saw it at `issuedAt`
 * (an RFC 3339 UTC time, as `Date.toISOString` writes it).
 */
export interface CheckpointBody {
  tenantId: string;
  treeSize: number;
  rootHash: string;
  issuedAt: string;
}

/**
 * A checkpoint as it is published and exported: the body, the id of the Ed25519 key that
 * signed it, and the signature (base64url) over the UTF-8 of the RFC 8785 form of every other
 * field, `keyId` included.
 */
export interface SignedCheckpoint extends CheckpointBody {
  keyId: string;
  signature: string;
}

const SIGNED_FIELDS = ['tenantId', 'treeSize', 'rootHash', 'issuedAt', 'keyId'] as const;
const FIELDS = new Set<string>([...SIGNED_FIELDS, 'signature']);
const ROOT_HASH = /^[0-9a-f]{64}$/;
const UTC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const ED25519_SIGNATURE_BYTES = 64;

// The exact bytes signed; a verifier elsewhere rebuilds them from the checkpoint's JSON with any RFC 8785 implementation.
export const checkpointSigningInput = (body: CheckpointBody, keyId: string): Buffer => {
  const { tenantId, treeSize, rootHash, issuedAt } = body;
  return Buffer.from(canonicalize({ tenantId, treeSize, rootHash, issuedAt, keyId }), 'utf8');
};

const problemWith = (candidate: Record<string, unknown>): string | null => {
  const { tenantId, treeSize, rootHash, issuedAt, keyId } = candidate;
  if (typeof tenantId !== 'string' || tenantId.length === 0) return 'tenantId must be a non-empty string';
  if (typeof treeSize !== 'number' || !Number.isSafeInteger(treeSize) || treeSize < 0) return 'treeSize must be a non-negative integer';
  if (typeof rootHash !== 'string' || !ROOT_HASH.test(rootHash)) return 'rootHash must be 64 lower-case hex digits';
  if (typeof issuedAt !== 'string' || !UTC_TIME.test(issuedAt) || Number.isNaN(Date.parse(issuedAt))) return 'issuedAt must be an RFC 3339 UTC time';
  if (typeof keyId !== 'string' || keyId.length === 0) return 'keyId must be a non-empty string';
  return null;
};

const assertEd25519 = (key: KeyObject, role: string): void => {
  if (key.asymmetricKeyType !== 'ed25519') throw new TypeError(`the ${role} key is ${key.asymmetricKeyType}, not Ed25519`);
};

/** Signs a checkpoint with an Ed25519 private key; `keyId` names the public key a verifier needs. */
export const signCheckpoint = (body: CheckpointBody, signingKey: KeyObject, keyId: string): SignedCheckpoint => {
  const problem = problemWith({ ...body, keyId });
  if (problem) throw new TypeError(`cannot sign the checkpoint: ${problem}`);
  assertEd25519(signingKey, 'signing');
  const signature = sign(null, checkpointSigningInput(body, keyId), signingKey).toString('base64url');
  const { tenantId, treeSize, rootHash, issuedAt } = body;
  return { tenantId, treeSize, rootHash, issuedAt, keyId, signature };
};

export type CheckpointVerification =
  | { ok: true; checkpoint: SignedCheckpoint }
  | { ok: false; reason: 'MALFORMED' | 'UNKNOWN_KEY' | 'BAD_SIGNATURE'; detail: string };

/**
 * Checks a checkpoint as read from anywhere (parsed JSON is fine): its shape, that its key id
 * is one of `verifyingKeys` (Ed25519 public keys by key id) and that the signature holds.
 * A field the signature does not cover is refused, so nothing unsigned travels with it.
 * Whether the root matches the events is the caller's to check (`merkleRoot`, or
 * `verifyConsistency` against a later checkpoint).
 */
export const verifyCheckpoint = (signed: unknown, verifyingKeys: ReadonlyMap<string, KeyObject>): CheckpointVerification => {
  if (signed === null || typeof signed !== 'object' || Array.isArray(signed)) return { ok: false, reason: 'MALFORMED', detail: 'a checkpoint is a JSON object' };
  const candidate = signed as Record<string, unknown>;
  const unsigned = Object.keys(candidate).filter((field) => !FIELDS.has(field));
  if (unsigned.length > 0) return { ok: false, reason: 'MALFORMED', detail: `fields the signature does not cover: ${unsigned.join(', ')}` };
  const problem = problemWith(candidate);
  if (problem) return { ok: false, reason: 'MALFORMED', detail: problem };
  const { signature } = candidate;
  // Only the one canonical spelling: base64url's spare low bits would otherwise let several texts carry one signature.
  const signatureBytes = typeof signature === 'string' && BASE64URL.test(signature) ? Buffer.from(signature, 'base64url') : null;
  if (!signatureBytes || signatureBytes.length !== ED25519_SIGNATURE_BYTES || signatureBytes.toString('base64url') !== signature) {
    return { ok: false, reason: 'MALFORMED', detail: 'signature must be a 64-byte Ed25519 signature in unpadded base64url' };
  }
  const checkpoint = candidate as unknown as SignedCheckpoint;
  const key = verifyingKeys.get(checkpoint.keyId);
  if (!key) return { ok: false, reason: 'UNKNOWN_KEY', detail: `no key ${checkpoint.keyId}` };
  assertEd25519(key, 'verifying');
  if (!verify(null, checkpointSigningInput(checkpoint, checkpoint.keyId), key, signatureBytes)) {
    return { ok: false, reason: 'BAD_SIGNATURE', detail: 'the signature does not match' };
  }
  const { tenantId, treeSize, rootHash, issuedAt, keyId } = checkpoint;
  return { ok: true, checkpoint: { tenantId, treeSize, rootHash, issuedAt, keyId, signature: checkpoint.signature } };
};
