import type { DataSource, EntityManager } from 'typeorm';
import { TENANT_ID_PATTERN } from '@halm/contracts';
import { verifyCheckpoint, type SignedCheckpoint } from '@halm/domain';

// Key ids are derived from the public key; printable ASCII leaves out anything PostgreSQL's text refuses (NUL).
const KEY_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;

/**
 * The checkpoint as its fields, when `value` has the shape of a signed checkpoint (and no
 * field the signature does not cover); undefined otherwise. The signature itself is the
 * auditor's to check: the projection keeps what the ledger published, with the key id it names.
 */
export const wellFormedCheckpoint = (value: unknown): SignedCheckpoint | undefined => {
  // No verifying keys: a well-formed checkpoint gets as far as looking up its key.
  const verification = verifyCheckpoint(value, new Map());
  if (verification.ok || verification.reason !== 'UNKNOWN_KEY') return undefined;
  const { tenantId, treeSize, rootHash, issuedAt, keyId, signature } = value as SignedCheckpoint;
  if (!TENANT_ID_PATTERN.test(tenantId) || !KEY_ID_PATTERN.test(keyId)) return undefined;
  return { tenantId, treeSize, rootHash, issuedAt, keyId, signature };
};

const INSERT_CHECKPOINTS = `
  INSERT INTO checkpoints (tenant_id, tree_size, key_id, root_hash, issued_at, signature)
  SELECT "tenantId", "treeSize", "keyId", "rootHash", "issuedAt", signature
  FROM jsonb_to_recordset($1::jsonb) AS r("tenantId" text, "treeSize" integer, "keyId" text, "rootHash" text, "issuedAt" text, signature text)
  ON CONFLICT (tenant_id, tree_size, key_id) DO NOTHING`;

// A tree size is an integer column; a checkpoint of more than 2^31 - 1 events is a later problem.
const MAX_TREE_SIZE = 2_147_483_647;

const insert = async (manager: EntityManager, checkpoints: readonly unknown[]): Promise<void> => {
  const rows = checkpoints.map(wellFormedCheckpoint).filter((row): row is SignedCheckpoint => row !== undefined && row.treeSize <= MAX_TREE_SIZE);
  if (rows.length > 0) await manager.query(INSERT_CHECKPOINTS, [JSON.stringify(rows)]);
};

export interface CheckpointRebuildSummary {
  messages: number;
  checkpoints: number;
}

/**
 * The `checkpoints` table: every signed checkpoint the ledger published on its checkpoint
 * stream. A checkpoint is keyed by tenant, tree size and key id and never changes, so applying
 * one twice, late or out of order leaves the same row: no position needs keeping beside it.
 * What is not a well-formed checkpoint is left out, live and in a rebuild alike.
 */
export class CheckpointProjection {
  constructor(private readonly dataSource: DataSource) {}

  /** Stores the well-formed ones among `checkpoints` (parsed message bodies) in one statement. */
  async apply(checkpoints: readonly unknown[]): Promise<void> {
    await insert(this.dataSource.manager, checkpoints);
  }

  /**
   * Empties the table and stores every checkpoint `readCheckpoints` yields, in one
   * transaction; the live consumer's inserts wait for it and then change nothing or add what
   * was published since.
   */
  rebuild(readCheckpoints: () => AsyncIterable<unknown>, chunkSize = 500): Promise<CheckpointRebuildSummary> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('TRUNCATE checkpoints');
      let messages = 0;
      let chunk: unknown[] = [];
      for await (const checkpoint of readCheckpoints()) {
        chunk.push(checkpoint);
        messages += 1;
        if (chunk.length >= chunkSize) {
          await insert(manager, chunk);
          chunk = [];
        }
      }
      await insert(manager, chunk);
      const [counted] = (await manager.query('SELECT count(*)::int AS checkpoints FROM checkpoints')) as { checkpoints: number }[];
      return { messages, checkpoints: counted?.checkpoints ?? 0 };
    });
  }
}
