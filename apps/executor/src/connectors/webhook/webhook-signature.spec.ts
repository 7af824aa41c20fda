import { signWebhook, verifyWebhookSignature, type WebhookSignatureCheck } from './webhook-signature';

const SECRET = 'whsec-test-0123456789abcdef0123456789';
const BODY = '{"orderId":42}';
const SIGNED_AT = 1_763_740_000;

const check = (overrides: Partial<WebhookSignatureCheck> = {}): WebhookSignatureCheck => ({
  secret: SECRET,
  signatureHeader: signWebhook(SECRET, 'order-42', SIGNED_AT, BODY),
  idempotencyKey: 'order-42',
  body: BODY,
  nowSeconds: SIGNED_AT + 10,
  toleranceSeconds: 300,
  ...overrides,
});

describe('verifyWebhookSignature', () => {
  it('accepts the signature made with the same secret, key, time and bytes', () => {
    expect(verifyWebhookSignature(check())).toEqual({ valid: true, timestampSeconds: SIGNED_AT });
  });

  it('accepts the body as bytes as well as text', () => {
    expect(verifyWebhookSignature(check({ body: Buffer.from(BODY) })).valid).toBe(true);
  });

  it.each([
    ['another secret', { secret: 'another-secret-0123456789abcdef0123' }],
    ['a body altered by one byte', { body: '{"orderId":43}' }],
    ['the same JSON serialised differently', { body: '{ "orderId": 42 }' }],
    ['another idempotency key', { idempotencyKey: 'order-43' }],
  ])('rejects %s as a mismatch', (_case, overrides) => {
    expect(verifyWebhookSignature(check(overrides))).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('rejects a timestamp moved by a replayer, since the time is signed too', () => {
    const forged = signWebhook(SECRET, 'order-42', SIGNED_AT, BODY).replace(`t=${SIGNED_AT}`, `t=${SIGNED_AT + 5}`);
    expect(verifyWebhookSignature(check({ signatureHeader: forged }))).toEqual({ valid: false, reason: 'mismatch' });
  });

  it.each([
    ['too old', SIGNED_AT + 301],
    ['too far ahead', SIGNED_AT - 301],
  ])('rejects a signature %s for the tolerance', (_case, nowSeconds) => {
    expect(verifyWebhookSignature(check({ nowSeconds }))).toEqual({ valid: false, reason: 'outside-tolerance' });
  });

  it.each(['', 'v1=abc', `t=${SIGNED_AT}`, `t=soon,v1=${'0'.repeat(64)}`, `t=1,t=2,v1=${'0'.repeat(64)}`])('rejects the malformed header %p', (signatureHeader) => {
    expect(verifyWebhookSignature(check({ signatureHeader }))).toEqual({ valid: false, reason: 'malformed' });
  });

  it('accepts a header with several v1 signatures when one of them matches, as during a secret rotation', () => {
    const genuine = signWebhook(SECRET, 'order-42', SIGNED_AT, BODY);
    const withOld = `${genuine},v1=${'ab'.repeat(32)},v1=not-hex`;
    expect(verifyWebhookSignature(check({ signatureHeader: withOld })).valid).toBe(true);
  });
});
