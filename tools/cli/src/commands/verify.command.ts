import { existsSync, readFileSync } from 'node:fs';
import { topology } from '@halm/contracts';
import { type ExportProblem, type ExportVerificationReport, publicKeyId, publicKeyOf, signingKeyFrom, verifyingKeysFrom, verifyLedgerExport } from '@halm/domain';
import { connectNats, type LedgerPublicKey, type PublicKeysReply, RpcClient } from '@halm/messaging';
import { parseEnvFile } from './demo-tenant';

export interface VerifyOptions {
  file: string;
  /** Ed25519 public keys (SPKI DER, base64url): the only keys trusted, never keys from the file. */
  publicKeys: readonly string[];
  json: boolean;
}

const problemLine = (problem: ExportProblem): string => `  ${problem.code}: ${problem.message}`;

const summary = (report: ExportVerificationReport): string =>
  `tenant ${report.tenantId ?? '(none)'}: ${report.events} events, ${report.checkpoints} checkpoints, ${report.verifiedCheckpoints} verified with the keys given` +
  (report.provenSize !== null ? `; signatures prove heights 1 to ${report.provenSize}` : '');

/**
 * `./halm verify <file>`: checks an export offline with only the public keys given. Exit code
 * 0 when nothing is wrong, 1 when anything is (each problem on its own line), 2 when it could
 * not verify at all (no key, a bad key, no file).
 */
export const verifyExportFile = (options: VerifyOptions, log: (line: string) => void, fail: (line: string) => number): number => {
  if (options.publicKeys.length === 0) return fail('verify needs the ledger public key: --public-key <key>[,<key>…] or HALM_LEDGER_PUBLIC_KEY (./halm keys public prints it)');
  let keys;
  try {
    keys = verifyingKeysFrom(options.publicKeys);
  } catch {
    return fail('a --public-key is not an Ed25519 public key (SPKI DER in base64url)');
  }
  let text: string;
  try {
    text = readFileSync(options.file, 'utf8');
  } catch (error) {
    return fail(`cannot read ${options.file}: ${(error as Error).message}`);
  }
  let report: ExportVerificationReport;
  try {
    report = verifyLedgerExport(JSON.parse(text) as unknown, keys);
  } catch (error) {
    const unreadable = verifyLedgerExport(null, keys);
    report = { ...unreadable, problems: [{ code: 'BUNDLE_MALFORMED', message: `the file is not JSON: ${(error as Error).message}` }] };
  }
  return printVerification(report, options.json, log);
};

/** The report as `./halm verify` prints it, offline or live; the exit code: 0 intact, 1 anything wrong. */
export const printVerification = (report: ExportVerificationReport, json: boolean, log: (line: string) => void): number => {
  if (json) {
    log(JSON.stringify(report, null, 2));
  } else {
    log(summary(report));
    if (report.ok) log('OK: every event hashes and links as recorded, and every checkpoint is signed by a key given and matches the events');
    else log(`FAILED: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`);
    report.problems.forEach((problem) => log(problemLine(problem)));
    report.warnings.forEach((warning) => log(`  warning: ${warning}`));
  }
  return report.ok ? 0 : 1;
};

export interface PublicKeysOptions {
  natsUrl: string;
  namespace: string;
  /** Where `./halm up` keeps the local ledger's signing key. */
  envFile: string;
  timeoutMs?: number;
}

/**
 * The public keys that verify the ledger's checkpoints: asked of a running ledger, else
 * derived from the signing key `./halm up` keeps in the env file. Null when neither is there.
 */
export const ledgerPublicKeys = async (options: PublicKeysOptions): Promise<{ keys: LedgerPublicKey[]; source: string } | null> => {
  try {
    const connection = await connectNats(options.natsUrl, 'halm-cli', { user: process.env['NATS_USER'] ?? '', password: process.env['NATS_PASSWORD'] ?? '' });
    try {
      const reply = await new RpcClient(connection).request<Record<string, never>, PublicKeysReply>(topology(options.namespace).publicKeysSubject, {}, options.timeoutMs ?? 2_000);
      return { keys: reply.keys, source: 'the running ledger' };
    } finally {
      await connection.close();
    }
  } catch {
    const signingKey = existsSync(options.envFile) ? parseEnvFile(options.envFile)['LEDGER_SIGNING_KEY'] : undefined;
    if (!signingKey) return null;
    const publicKey = publicKeyOf(signingKeyFrom(signingKey));
    return { keys: [{ keyId: publicKeyId(publicKey), publicKey, current: true }], source: options.envFile };
  }
};
