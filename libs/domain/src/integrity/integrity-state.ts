import type { LockdownScope } from '@halm/contracts';
import { GENESIS_HASH } from '../ledger/hash-chain';
import { MerkleAccumulator } from '../ledger/merkle-tree';

/**
 * A root the chain must have when it reaches `treeSize` events: a signed checkpoint's, or the
 * root an earlier check computed (kept when a tenant is checked again from the start, so a
 * history that changed underneath is caught).
 */
export interface Attestation {
  treeSize: number;
  rootHash: string;
  source: 'checkpoint' | 'previous-check';
  /** The checkpoint's key id and time, for the evidence. */
  keyId?: string;
  issuedAt?: string;
  /**
   * Read before the events of the check that received it, so those events must reach its size:
   * a chain that stays shorter was truncated. A checkpoint read after the events may be
   * ahead of them and waits for the next check.
   */
  mustBeReached: boolean;
}

/**
 * What a later event about a proposal is judged by: whether it still waits for a human or a
 * veto window, or may execute (with the hash of the event that made it executable). A proposal
 * denied, rejected, vetoed or executed has no fact: nothing may follow it.
 */
export type ProposalFact =
  | { stage: 'PENDING_APPROVAL' | 'HELD_FOR_VETO'; kernelRun: boolean }
  | { stage: 'EXECUTABLE'; hash: string };

/**
 * Everything the integrity monitor keeps of one tenant between checks, as plain JSON: where
 * the last check ended (its head and the Merkle tree's right edge), the checkpoints still
 * ahead of the chain, and the little of the tenant's history later events are judged by
 * (executions not ended, recent token ids, lockdowns in force). The proposals still open or
 * executable (`proposals`) can be many and old; an adapter keeps them apart, indexed, and
 * hands a check the few its events name (`IntegrityCheckInput.proposals`), so a check costs
 * the events since the last one, not the history.
 */
export interface IntegrityState {
  format: 1;
  tenantId: string;
  /** The last event examined: height 0 and the genesis hash before the first. */
  height: number;
  hash: string;
  /** Events examined over this state's life (a check from the start begins again at 0). */
  eventsExamined: number;
  /** The Merkle accumulator over every event examined: its size and right edge (hex). */
  treeSize: number;
  frontier: string[];
  /** Roots still ahead of the chain, smallest tree first. */
  attestations: Attestation[];
  /** The largest tree a checkpoint was verified against so far. */
  verified: { treeSize: number; rootHash: string } | null;
  /** Proposals waiting for a human or a veto window, or executable and not executed, as far as this state holds them. */
  proposals: Record<string, ProposalFact>;
  /** Executions started and not ended yet, with the decision hash they started under. */
  executions: Record<string, { proposalId: string; decisionHash: string }>;
  /** Token ids that started an execution, with when (ms since the epoch); kept for TOKEN_MEMORY_MS. */
  tokens: Record<string, number>;
  /** Lockdowns in force in this chain, by id. */
  lockdowns: Record<string, LockdownScope>;
  /** The latest `recordedAt` seen (ms since the epoch), the clock token memory is pruned by. */
  latestRecordedMs: number;
  /** Positions in the streams read (opaque to the checks): the last message examined and the last checkpoint read. */
  sequence: number;
  checkpointSequence: number;
}

export const initialIntegrityState = (tenantId: string): IntegrityState => ({
  format: 1,
  tenantId,
  height: 0,
  hash: GENESIS_HASH,
  eventsExamined: 0,
  treeSize: 0,
  frontier: [],
  attestations: [],
  verified: null,
  proposals: {},
  executions: {},
  tokens: {},
  lockdowns: {},
  latestRecordedMs: 0,
  sequence: 0,
  checkpointSequence: 0,
});

/** The Merkle root of everything a state has examined, hex. */
export const stateRootHash = (state: IntegrityState): string =>
  MerkleAccumulator.restore(
    state.treeSize,
    state.frontier.map((hash) => Buffer.from(hash, 'hex')),
  )
    .root()
    .toString('hex');

/**
 * A state that examines the tenant's chain again from its first event, keeping what the old
 * one proved as attestations: the root of the tree it had examined and the checkpoints it was
 * still waiting for. So a full re-check, or one forced because the stream no longer holds the
 * message the last check ended on, still notices a history that was changed or cut short.
 */
export const restartIntegrityState = (previous: IntegrityState): IntegrityState => {
  const fresh = initialIntegrityState(previous.tenantId);
  const attestations: Attestation[] = previous.attestations.map((attestation) => ({ ...attestation, mustBeReached: true }));
  if (previous.treeSize > 0) attestations.push({ treeSize: previous.treeSize, rootHash: stateRootHash(previous), source: 'previous-check', mustBeReached: true });
  attestations.sort((a, b) => a.treeSize - b.treeSize);
  return { ...fresh, attestations, checkpointSequence: previous.checkpointSequence };
};

/** The state without its proposals, for an adapter that keeps them apart (it applies `proposalChanges` to its own store). */
export const withoutProposals = (state: IntegrityState): IntegrityState => ({ ...state, proposals: {} });

/** Whether a state is one this code can carry on from (a stored JSON column, say). */
export const isIntegrityState = (value: unknown): value is IntegrityState => {
  const candidate = value as Partial<IntegrityState> | null;
  return (
    candidate !== null &&
    typeof candidate === 'object' &&
    candidate.format === 1 &&
    typeof candidate.tenantId === 'string' &&
    Number.isSafeInteger(candidate.height) &&
    Number.isSafeInteger(candidate.treeSize) &&
    Array.isArray(candidate.frontier) &&
    Array.isArray(candidate.attestations) &&
    typeof candidate.proposals === 'object'
  );
};
