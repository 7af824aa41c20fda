import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `Halm-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over `<Idempotency-Key>.<t>.<body bytes>`:
 * the timestamp bounds replays, and signing the idempotency key stops a captured request from
 * being replayed under a fresh key that a receiver's deduplication would not recognise.
 */
export const SIGNATURE_HEADER = 'Halm-Signature';

const signature = (secret: string, idempotencyKey: string, timestampSeconds: number, body: string | Uint8Array): Buffer =>
  createHmac('sha256', secret).update(`${idempotencyKey}.${timestampSeconds}.`).update(body).digest();

/** The `Halm-Signature` header value for one request. */
export const signWebhook = (secret: string, idempotencyKey: string, timestampSeconds: number, body: string | Uint8Array): string =>
  `t=${timestampSeconds},v1=${signature(secret, idempotencyKey, timestampSeconds, body).toString('hex')}`;

export interface WebhookSignatureCheck {
  /** The shared signing secret (`WEBHOOK_SIGNING_SECRET`). */
  secret: string;
  /** The `Halm-Signature` header as received. */
  signatureHeader: string;
  /** The `Idempotency-Key` header as received. */
  idempotencyKey: string;
  /** The raw request body, byte for byte: not JSON parsed and serialised again. */
  body: string | Uint8Array;
  nowSeconds: number;
  /** How far the signed time may be from `nowSeconds`, either way; 300 is usual. */
  toleranceSeconds: number;
}

export type WebhookSignatureVerdict =
  | { valid: true; timestampSeconds: number }
  | { valid: false; reason: 'malformed' | 'outside-tolerance' | 'mismatch' };

/**
 * For receivers: whether a request carries a valid `Halm-Signature`. Several `v1` entries
 * are accepted (any one matching is enough), so a sender may sign with two secrets while one
 * is being rotated.
 */
export const verifyWebhookSignature = (check: WebhookSignatureCheck): WebhookSignatureVerdict => {
  const timestamps: string[] = [];
  const candidates: string[] = [];
  for (const part of check.signatureHeader.split(',')) {
    const separator = part.indexOf('=');
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't') timestamps.push(value);
    else if (key === 'v1') candidates.push(value);
  }
  const [timestamp] = timestamps;
  if (timestamps.length !== 1 || timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || candidates.length === 0) {
    return { valid: false, reason: 'malformed' };
  }
  const timestampSeconds = Number(timestamp);
  if (Math.abs(check.nowSeconds - timestampSeconds) > check.toleranceSeconds) return { valid: false, reason: 'outside-tolerance' };
  const expected = signature(check.secret, check.idempotencyKey, timestampSeconds, check.body);
  const matches = candidates.some((candidate) => /^[0-9a-f]{64}$/i.test(candidate) && timingSafeEqual(Buffer.from(candidate, 'hex'), expected));
  return matches ? { valid: true, timestampSeconds } : { valid: false, reason: 'mismatch' };
};
