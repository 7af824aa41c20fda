import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { LedgerEvent } from '@halm/contracts';
import {
  canonicalize,
  chainWithText,
  DEFAULT_MANIFEST,
  EMPTY_HEAD,
  eventLeaf,
  eventLeafHash,
  evaluate,
  headOf,
  MerkleAccumulator,
  type SignedCheckpoint,
  signCheckpoint,
} from '@halm/domain';
import { POLICY } from '../policy-evaluation/equivalence';
import { MIX } from '../policy-evaluation/requests';

export const TENANT = 'ten_acme';
export const KEY_ID = 'ledger-2026-01';

/**
 * A tenant's export as an offline auditor holds it: the events and the latest checkpoint, read
 * back from JSON (so the objects are what `JSON.parse` gives, not the ones that built them),
 * and the public key the checkpoint names.
 */
export interface LedgerExport {
  events: LedgerEvent[];
  checkpoint: SignedCheckpoint;
  verifyingKeys: ReadonlyMap<string, KeyObject>;
}

/**
 * Every byte SHA-256 consumes when the export is verified, precomputed once for the floor:
 * - `chain[i]`: the UTF-8 of the RFC 8785 form of event i without `hash` (what `hashEvent` hashes);
 * - `leaves[i]`: 0x00 followed by the UTF-8 of the RFC 8785 form of event i with `hash` (RFC 9162 leaf input, what `eventLeafHash` hashes);
 * - `nodes`: 0x01 ‖ left ‖ right (65 bytes) for each of the N − 1 interior nodes, in the order
 *   the accumulator hashes them, the root's right fold last.
 */
export interface HashedBytes {
  chain: Buffer[];
  leaves: Buffer[];
  nodes: Buffer[];
}

const FIRST_SUBMISSION = Date.parse('2026-01-01T08:00:00.000Z');

/** The gateway names proposals `prop_` + 24 hex digits of randomness; a digest of the index stands in for it, so every run builds the same export. */
const proposalId = (index: number): string => `prop_${createHash('sha256').update(`proposal ${index}`).digest('hex').slice(0, 24)}`;

/**
 * `count` DecisionRecorded events on one tenant's chain, as the gateway records them
 * (apps/gateway/src/authorize-action.handler.ts): the proposal it named and stamped, the
 * decision `evaluate` gave on it with the default manifest, event id `<proposalId>.decision`,
 * recorded at the decision's time. The proposals cycle through the policy-evaluation mix,
 * every status and rule of the default manifest, one proposal every 250 ms.
 */
export const buildExport = (count: number): LedgerExport => {
  let head = EMPTY_HEAD;
  const events: LedgerEvent[] = [];
  const storedTexts: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const request = MIX[index % MIX.length]!;
    const submitted = FIRST_SUBMISSION + index * 250;
    const proposal = { ...request.proposal, proposalId: proposalId(index), tenantId: TENANT, submittedAt: new Date(submitted).toISOString() };
    const decision = evaluate(proposal, DEFAULT_MANIFEST, POLICY, request.state, new Date(submitted + 3));
    const { event, text } = chainWithText(head, { tenantId: TENANT, eventId: `${proposal.proposalId}.decision`, type: 'DecisionRecorded', recordedAt: decision.decidedAt, data: { proposal, decision } });
    events.push(event);
    storedTexts.push(text);
    head = headOf(event);
  }
  const accumulator = new MerkleAccumulator();
  for (const event of events) accumulator.append(eventLeafHash(event));
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const checkpoint = signCheckpoint(
    { tenantId: TENANT, treeSize: count, rootHash: accumulator.root().toString('hex'), issuedAt: new Date(FIRST_SUBMISSION + count * 250 + 1_000).toISOString() },
    privateKey,
    KEY_ID,
  );
  // The auditor reads a file: the events as the ledger stores them (their canonical text, which
  // `./halm export` writes back member for member) and the checkpoint come back from JSON.
  const file = JSON.parse(JSON.stringify({ events: storedTexts.map((text) => JSON.parse(text) as unknown), checkpoint })) as { events: LedgerEvent[]; checkpoint: SignedCheckpoint };
  return { events: file.events, checkpoint: file.checkpoint, verifyingKeys: new Map([[KEY_ID, publicKey]]) };
};

const sha256 = (bytes: Uint8Array): Buffer => createHash('sha256').update(bytes).digest();

/** The bytes of `HashedBytes`, computed from the events without `hashEvent`, `nodeHash` or the accumulator, so the floor's digests check Halm's. */
export const hashedBytes = (events: readonly LedgerEvent[]): HashedBytes => {
  const chainBytes = events.map(({ tenantId, height, prevHash, eventId, type, recordedAt, data }) =>
    Buffer.from(canonicalize({ tenantId, height, prevHash, eventId, type, recordedAt, data }), 'utf8'),
  );
  const leaves = events.map((event) => Buffer.concat([Uint8Array.of(0x00), eventLeaf(event)]));
  const nodes: Buffer[] = [];
  const node = (left: Buffer, right: Buffer): Buffer => {
    const input = Buffer.concat([Uint8Array.of(0x01), left, right]);
    nodes.push(input);
    return sha256(input);
  };
  // RFC 9162's tree kept as the right edge of perfect subtrees, merged like a binary carry, then folded from the right.
  const edge: Buffer[] = [];
  leaves.forEach((leaf, index) => {
    let hash = sha256(leaf);
    for (let size = index; size % 2 === 1; size = (size - 1) / 2) hash = node(edge.pop()!, hash);
    edge.push(hash);
  });
  let root = edge[edge.length - 1]!;
  for (let index = edge.length - 2; index >= 0; index -= 1) root = node(edge[index]!, root);
  return { chain: chainBytes, leaves, nodes };
};

/** Checks that the floor hashes what Halm's verification hashes: the same event hashes, leaf hashes and root. */
export const checkSameBytes = (file: LedgerExport, bytes: HashedBytes): string | null => {
  const { events, checkpoint } = file;
  for (let index = 0; index < events.length; index += 1) {
    const event = events[index]!;
    if (sha256(bytes.chain[index]!).toString('hex') !== event.hash) return `the floor's digest of event ${event.height} is not its hash`;
    if (!sha256(bytes.leaves[index]!).equals(eventLeafHash(event))) return `the floor's leaf digest of event ${event.height} is not eventLeafHash`;
  }
  if (bytes.nodes.length !== events.length - 1) return `${bytes.nodes.length} node inputs for ${events.length} leaves, not ${events.length - 1}`;
  const root = sha256(bytes.nodes[bytes.nodes.length - 1]!).toString('hex');
  if (root !== checkpoint.rootHash) return "the floor's last node digest is not the checkpoint's root";
  return null;
};
