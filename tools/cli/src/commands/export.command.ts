import { writeFileSync } from 'node:fs';
import { JetStreamApiError } from '@nats-io/jetstream';
import { topology } from '@halm/contracts';
import { buildLedgerExport, type SignedCheckpoint } from '@halm/domain';
import { type CheckpointRequest, CheckpointStore, connectNats, LedgerStore, RpcClient, RpcError } from '@halm/messaging';

export interface ExportOptions {
  natsUrl: string;
  namespace: string;
  tenantId: string;
  /** The file to write. */
  out: string;
  /** How long to wait for a ledger to sign a checkpoint of the tenant's current tree; 0 does not ask. */
  checkpointTimeoutMs?: number;
  now?: () => Date;
}

const STREAM_NOT_FOUND = 10059;

/**
 * `./halm export <tenantId>`: the tenant's events and checkpoints, with consistency proofs
 * between consecutive checkpoints, in one file that `./halm verify` checks offline. A ledger
 * that answers is first asked for a checkpoint of the tenant's tree as it is now, so the
 * signatures cover the export's tail. Checkpoints are read before the events: the events only
 * grow, so every checkpoint exported signs a tree the export holds.
 */
export const exportLedger = async (options: ExportOptions, log: (line: string) => void): Promise<number> => {
  const names = topology(options.namespace);
  const connection = await connectNats(options.natsUrl, 'halm-cli', { user: process.env['NATS_USER'] ?? '', password: process.env['NATS_PASSWORD'] ?? '' });
  try {
    const timeoutMs = options.checkpointTimeoutMs ?? 5_000;
    if (timeoutMs > 0) {
      try {
        await new RpcClient(connection).request<CheckpointRequest, SignedCheckpoint>(names.checkpointRequestSubject, { tenantId: options.tenantId }, timeoutMs);
      } catch (error) {
        if (!(error instanceof RpcError)) throw error;
        // A ledger that refuses (its chain does not verify, say) is exactly when an auditor needs the export: go on with what is published.
        if (error.code !== 'NOT_FOUND') log(`no ledger signed a fresh checkpoint (${error.message}); exporting the checkpoints already published`);
      }
    }
    const checkpoints = await (await CheckpointStore.open(connection, names)).readAll(options.tenantId).catch((error: unknown) => {
      if (error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND) return [];
      throw error;
    });
    const events = await (await LedgerStore.open(connection, names)).read(options.tenantId);
    if (events.length === 0) {
      log(`tenant ${options.tenantId} has no ledger events: nothing exported`);
      return 1;
    }
    const bundle = buildLedgerExport(options.tenantId, events, checkpoints, (options.now ?? (() => new Date()))().toISOString());
    writeFileSync(options.out, `${JSON.stringify(bundle, null, 2)}\n`);
    const latest = checkpoints.at(-1);
    log(
      `exported ${events.length} events (heights 1 to ${events.at(-1)?.height}) and ${checkpoints.length} checkpoint${checkpoints.length === 1 ? '' : 's'}` +
        `${latest ? ` (latest: size ${latest.treeSize}, issued ${latest.issuedAt})` : ''} of tenant ${options.tenantId} to ${options.out}`,
    );
    return 0;
  } finally {
    await connection.close();
  }
};
