import { generateKeyPairSync } from 'node:crypto';
import { actionDigest, publicKeyOf, signExecutionToken, signingKeyFrom, verifyExecutionToken, verifyingKeyFrom, type ExecutionTokenClaims } from './execution-token';

const pair = () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const encoded = privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url');
  const signingKey = signingKeyFrom(encoded);
  return { signingKey, verifyingKey: verifyingKeyFrom(publicKeyOf(signingKey)) };
};

const claims: ExecutionTokenClaims = {
  iss: 'halm',
  tid: 'ten_1',
  pid: 'prop_1',
  dh: 'a'.repeat(64),
  ad: actionDigest('ledger:write', { amount: 120, recipient: 'acme' }),
  iat: 1_000,
  exp: 1_300,
  jti: 'tok_1',
};

describe('execution tokens', () => {
  const current = pair();
  const keys = new Map([['k1', current.verifyingKey]]);

  it('verifies a token it signed, with its claims and key id', () => {
    const token = signExecutionToken(claims, current.signingKey, 'k1');

    expect(verifyExecutionToken(token, keys, 1_100)).toEqual({ ok: true, claims, keyId: 'k1' });
  });

  it('refuses an expired token, one signed by an unknown or other key, and a tampered one', () => {
    const token = signExecutionToken(claims, current.signingKey, 'k1');
    const [header, , signature] = token.split('.');
    const forgedClaims = Buffer.from(JSON.stringify({ ...claims, tid: 'ten_2' })).toString('base64url');

    expect(verifyExecutionToken(token, keys, 1_300)).toMatchObject({ ok: false, reason: 'EXPIRED' });
    expect(verifyExecutionToken(signExecutionToken(claims, current.signingKey, 'k9'), keys, 1_100)).toMatchObject({ ok: false, reason: 'UNKNOWN_KEY' });
    expect(verifyExecutionToken(signExecutionToken(claims, pair().signingKey, 'k1'), keys, 1_100)).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(verifyExecutionToken(`${header}.${forgedClaims}.${signature}`, keys, 1_100)).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
    expect(verifyExecutionToken('not-a-token', keys, 1_100)).toMatchObject({ ok: false, reason: 'MALFORMED' });
  });

  it('refuses a token that names another algorithm', () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'halm-exec+jwt', kid: 'k1' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');

    expect(verifyExecutionToken(`${header}.${payload}.`, keys, 1_100)).toMatchObject({ ok: false, reason: 'MALFORMED' });
  });

  it('binds the action exactly: key order does not matter, any value does', () => {
    expect(actionDigest('ledger:write', { recipient: 'acme', amount: 120 })).toBe(claims.ad);
    expect(actionDigest('ledger:write', { recipient: 'acme', amount: 121 })).not.toBe(claims.ad);
    expect(actionDigest('vault:write', { recipient: 'acme', amount: 120 })).not.toBe(claims.ad);
  });
});
