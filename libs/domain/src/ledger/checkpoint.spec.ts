import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { publicKeyOf, signingKeyFrom, verifyingKeyFrom } from '../tokens/execution-token';
import { type CheckpointBody, checkpointSigningInput, type SignedCheckpoint, signCheckpoint, verifyCheckpoint } from './checkpoint';

const ed25519 = () => generateKeyPairSync('ed25519');
const current = ed25519();
const other = ed25519();
const keys = new Map<string, KeyObject>([
  ['ledger-2026-03', current.publicKey],
  ['ledger-2026-01', other.publicKey],
]);

const body: CheckpointBody = {
  tenantId: 'ten_a',
  treeSize: 7,
  rootHash: 'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  issuedAt: '2026-03-15T10:00:00.000Z',
};

const bodyArbitrary: fc.Arbitrary<CheckpointBody> = fc.record({
  tenantId: fc.string({ minLength: 1, maxLength: 24 }),
  treeSize: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  rootHash: fc.stringMatching(/^[0-9a-f]{64}$/),
  issuedAt: fc.date({ min: new Date('2020-01-01T00:00:00.000Z'), max: new Date('2040-01-01T00:00:00.000Z'), noInvalidDate: true }).map((date) => date.toISOString()),
});

describe('checkpoints', () => {
  it('verifies a checkpoint it signed and answers it field by field', () => {
    const signed = signCheckpoint(body, current.privateKey, 'ledger-2026-03');

    expect(verifyCheckpoint(signed, keys)).toEqual({ ok: true, checkpoint: signed });
    expect(Object.keys(signed).sort()).toEqual(['issuedAt', 'keyId', 'rootHash', 'signature', 'tenantId', 'treeSize']);
  });

  it('signs the UTF-8 of the canonical JSON of every field but the signature', () => {
    expect(checkpointSigningInput(body, 'ledger-2026-03').toString('utf8')).toBe(
      '{"issuedAt":"2026-03-15T10:00:00.000Z","keyId":"ledger-2026-03","rootHash":"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c","tenantId":"ten_a","treeSize":7}',
    );
  });

  it('signs deterministically, as Ed25519 does', () => {
    expect(signCheckpoint(body, current.privateKey, 'k').signature).toBe(signCheckpoint(body, current.privateKey, 'k').signature);
  });

  it('survives a trip through JSON text', () => {
    const signed = signCheckpoint(body, current.privateKey, 'ledger-2026-03');

    expect(verifyCheckpoint(JSON.parse(JSON.stringify(signed)), keys).ok).toBe(true);
  });

  it('works with keys in the project encoding (PKCS#8 and SPKI DER, base64url)', () => {
    const signingKey = signingKeyFrom(current.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url'));
    const verifyingKey = verifyingKeyFrom(publicKeyOf(signingKey));

    expect(verifyCheckpoint(signCheckpoint(body, signingKey, 'k'), new Map([['k', verifyingKey]])).ok).toBe(true);
  });

  it('fails on any altered field of any checkpoint', () => {
    type Alteration = (signed: SignedCheckpoint, generate: fc.GeneratorValue) => SignedCheckpoint;
    const alterations: Alteration[] = [
      (signed, generate) => ({ ...signed, tenantId: generate(() => fc.string({ minLength: 1, maxLength: 24 }).filter((tenantId) => tenantId !== signed.tenantId)) }),
      (signed, generate) => ({ ...signed, treeSize: generate(() => fc.nat({ max: Number.MAX_SAFE_INTEGER }).filter((size) => size !== signed.treeSize)) }),
      (signed, generate) => ({ ...signed, rootHash: generate(() => fc.stringMatching(/^[0-9a-f]{64}$/).filter((hash) => hash !== signed.rootHash)) }),
      (signed) => ({ ...signed, issuedAt: signed.issuedAt.replace(/\.(\d{3})Z$/, (_all, millis: string) => `.${String((Number(millis) + 1) % 1000).padStart(3, '0')}Z`) }),
      (signed) => ({ ...signed, keyId: 'ledger-2026-01' }),
      (signed, generate) => {
        const bytes = Buffer.from(signed.signature, 'base64url');
        const at = generate(fc.integer, { min: 0, max: bytes.length - 1 });
        bytes[at] = (bytes[at] as number) ^ (1 << generate(fc.integer, { min: 0, max: 7 }));
        return { ...signed, signature: bytes.toString('base64url') };
      },
    ];
    fc.assert(
      fc.property(bodyArbitrary, fc.integer({ min: 0, max: alterations.length - 1 }), fc.gen(), (checkpoint, which, generate) => {
        const signed = signCheckpoint(checkpoint, current.privateKey, 'ledger-2026-03');
        const altered = (alterations[which] as Alteration)(signed, generate);

        expect(verifyCheckpoint(altered, keys)).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
      }),
      { numRuns: 300 },
    );
  });

  it('fails when another key signed it under the same key id', () => {
    fc.assert(
      fc.property(bodyArbitrary, (checkpoint) => {
        const forged = signCheckpoint(checkpoint, other.privateKey, 'ledger-2026-03');

        expect(verifyCheckpoint(forged, keys)).toMatchObject({ ok: false, reason: 'BAD_SIGNATURE' });
      }),
    );
  });

  it('fails on a key id it does not know', () => {
    const signed = signCheckpoint(body, ed25519().privateKey, 'ledger-2027-01');

    expect(verifyCheckpoint(signed, keys)).toMatchObject({ ok: false, reason: 'UNKNOWN_KEY' });
  });

  it.each([
    ['an extra field, which the signature would not cover', (signed: SignedCheckpoint) => ({ ...signed, note: 'trust me' })],
    ['a missing field', ({ issuedAt: _issuedAt, ...rest }: SignedCheckpoint) => rest],
    ['an upper-case root hash', (signed: SignedCheckpoint) => ({ ...signed, rootHash: signed.rootHash.toUpperCase() })],
    ['a tree size as a string', (signed: SignedCheckpoint) => ({ ...signed, treeSize: String(signed.treeSize) })],
    ['a fractional tree size', (signed: SignedCheckpoint) => ({ ...signed, treeSize: 1.5 })],
    ['a time without a zone', (signed: SignedCheckpoint) => ({ ...signed, issuedAt: '2026-03-15T10:00:00' })],
    ['a padded signature', (signed: SignedCheckpoint) => ({ ...signed, signature: `${signed.signature}==` })],
    ['a short signature', (signed: SignedCheckpoint) => ({ ...signed, signature: signed.signature.slice(0, 40) })],
  ])('refuses %s as malformed', (_name, alter) => {
    const signed = signCheckpoint(body, current.privateKey, 'ledger-2026-03');

    expect(verifyCheckpoint(alter(signed), keys)).toMatchObject({ ok: false, reason: 'MALFORMED' });
  });

  it('refuses every other spelling of the same signature bytes', () => {
    const signed = signCheckpoint(body, current.privateKey, 'ledger-2026-03');
    const last = signed.signature.slice(-1);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (const character of alphabet) {
      if (character === last) continue;
      const respelled = { ...signed, signature: signed.signature.slice(0, -1) + character };

      expect(verifyCheckpoint(respelled, keys).ok).toBe(false);
    }
  });

  it.each([null, 'checkpoint', [1, 2], 42])('refuses %p as malformed', (value) => {
    expect(verifyCheckpoint(value, keys)).toMatchObject({ ok: false, reason: 'MALFORMED' });
  });

  it('refuses to sign a malformed body or with a key that is not Ed25519', () => {
    expect(() => signCheckpoint({ ...body, rootHash: 'abc' }, current.privateKey, 'k')).toThrow(/rootHash/);
    expect(() => signCheckpoint(body, current.privateKey, '')).toThrow(/keyId/);
    expect(() => signCheckpoint(body, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'k')).toThrow(/not Ed25519/);
  });
});
