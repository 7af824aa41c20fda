import { JetStreamApiError } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type LedgerEvent, topology } from '@halm/contracts';
import { buildLedgerExport, verifyingKeysFrom, verifyLedgerExport, type SignedCheckpoint } from '@halm/domain';
import { type CheckpointRequest, CheckpointStore, connectNats, LedgerStore, RpcClient, RpcError } from '@halm/messaging';
import { progressBar } from '../progress';
import { natsCredentials } from './ledger-history';
import { ledgerPublicKeys, printVerification } from './verify.command';

export interface LiveVerifyOptions {
  natsUrl: string;
  namespace: string;
  tenantId: string;
  /** The keys to trust; none: the running ledger's (or the local demo's), with a warning. */
  publicKeys: readonly string[];
  json: boolean;
  /** Where `./halm up` keeps the local ledger's signing key. */
  envFile: string;
  /** How long to wait for a ledger to sign a checkpoint of the tenant's current tree; 0 does not ask. */
  checkpointTimeoutMs?: number;
  now?: () => Date;
}

const STREAM_NOT_FOUND = 10059;

/**
 * `./halm verify --tenant <id>`: what `./halm export` would write, built in memory from the
 * ledger and checkpoint streams (after asking a ledger for a fresh checkpoint), then verified
 * exactly as `./halm verify <file>` verifies a file: the same report, the same exit codes (0
 * intact, 1 anything wrong, 2 cannot verify).
 */
export const verifyLive = async (options: LiveVerifyOptions, log: (line: string) => void, fail: (line: string) => number): Promise<number> => {
  let publicKeys = options.publicKeys;
  if (publicKeys.length === 0) {
    const found = await ledgerPublicKeys({ natsUrl: options.natsUrl, namespace: options.namespace, envFile: options.envFile });
    if (!found) return fail('verify needs the ledger public key: --public-key <key>[,<key>…] or HALM_LEDGER_PUBLIC_KEY; no ledger answered and no local key was found');
    publicKeys = found.keys.map((key) => key.publicKey);
    process.stderr.write(`halm verify: no --public-key given: trusting the keys of ${found.source}; pin keys you hold with --public-key to check the ledger against them\n`);
  }
  let keys;
  try {
    keys = verifyingKeysFrom(publicKeys);
  } catch {
    return fail('a --public-key is not an Ed25519 public key (SPKI DER in base64url)');
  }
  let connection: NatsConnection;
  try {
    connection = await connectNats(options.natsUrl, 'halm-cli', natsCredentials());
  } catch (error) {
    return fail(`cannot reach NATS at ${options.natsUrl}: ${(error as Error).message}`);
  }
  const names = topology(options.namespace);
  try {
    const timeoutMs = options.checkpointTimeoutMs ?? 5_000;
    if (timeoutMs > 0) {
      try {
        await new RpcClient(connection).request<CheckpointRequest, SignedCheckpoint>(names.checkpointRequestSubject, { tenantId: options.tenantId }, timeoutMs);
      } catch (error) {
        if (!(error instanceof RpcError) || error.code === 'INTERNAL') throw error;
        if (error.code === 'UNAVAILABLE') process.stderr.write(`halm verify: no ledger signed a fresh checkpoint (${error.message}); verifying against the checkpoints already published\n`);
      }
    }
    // Checkpoints before events, as export reads them: the events only grow, so every checkpoint read signs a tree the events hold.
    const checkpoints = await (await CheckpointStore.open(connection, names)).readAll(options.tenantId).catch((error: unknown) => {
      if (error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND) return [];
      throw error;
    });
    const store = await LedgerStore.open(connection, names);
    const head = await store.head(options.tenantId);
    if (head.height === 0) return fail(`tenant ${options.tenantId} has no ledger events`);
    const events: LedgerEvent[] = [];
    const progress = progressBar('reading the ledger', head.height, { quiet: options.json });
    try {
      for await (const event of store.events(options.tenantId, head.height)) progress.update(events.push(event));
    } finally {
      progress.finish();
    }
    const bundle = buildLedgerExport(options.tenantId, events, checkpoints, (options.now ?? (() => new Date()))().toISOString());
    return printVerification(verifyLedgerExport(bundle, keys), options.json, log);
  } catch (error) {
    return fail(`cannot read the ledger of ${options.tenantId}: ${(error as Error).message}`);
  } finally {
    await connection.close();
  }
};
