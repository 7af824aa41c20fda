import type { LedgerEvent } from '@halm/contracts';
import type { SignedCheckpoint } from './checkpoint';
import { consistencyProof, eventLeafHash } from './merkle-tree';

export const LEDGER_EXPORT_FORMAT = 'halm-ledger-export/1';

/** RFC 9162 consistency proof that the tree of `fromSize` leaves is a prefix of the tree of `toSize`; hashes in lower-case hex. */
export interface ExportedConsistencyProof {
  fromSize: number;
  toSize: number;
  proof: string[];
}

/**
 * What `./halm export` writes and `./halm verify` reads: one tenant's events in height order,
 * its signed checkpoints in the order the ledger published them, and a consistency proof
 * between each two consecutive checkpoint sizes. No public key travels in it: a verifier must
 * bring its own, or whoever doctored the file could bring theirs.
 */
export interface LedgerExport {
  format: typeof LEDGER_EXPORT_FORMAT;
  tenantId: string;
  exportedAt: string;
  events: LedgerEvent[];
  checkpoints: SignedCheckpoint[];
  consistencyProofs: ExportedConsistencyProof[];
}

/**
 * Assembles an export and proves (with the prover of merkle-tree.ts) that each checkpoint's
 * tree is a prefix of the next larger one's. A proof needs the events up to the larger size,
 * so none is made towards a checkpoint beyond the events given: the verifier reports that
 * checkpoint as a cut-off tail.
 */
export const buildLedgerExport = (tenantId: string, events: readonly LedgerEvent[], checkpoints: readonly SignedCheckpoint[], exportedAt: string): LedgerExport => {
  const leafHashes = events.map(eventLeafHash);
  const sizes = [...new Set(checkpoints.map((checkpoint) => checkpoint.treeSize))].filter((size) => size <= events.length).sort((a, b) => a - b);
  const consistencyProofs = sizes.slice(1).map((toSize, index) => {
    const fromSize = sizes[index] as number;
    return { fromSize, toSize, proof: consistencyProof(leafHashes, fromSize, toSize).map((hash) => hash.toString('hex')) };
  });
  return { format: LEDGER_EXPORT_FORMAT, tenantId, exportedAt, events: [...events], checkpoints: [...checkpoints], consistencyProofs };
};
