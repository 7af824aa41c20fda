import type { KeyObject } from 'node:crypto';
import type { Decision, ExecutionCompletedData, ExecutionStartedData, InvariantName, LedgerEvent, LockdownScope, Proposal } from '@halm/contracts';
import { canonicalize } from '../ledger/canonical-json';
import { verifyCheckpoint } from '../ledger/checkpoint';
import { hashEvent, sha256Hex } from '../ledger/hash-chain';
import { eventLeafHash, leafHash, MerkleAccumulator } from '../ledger/merkle-tree';
import type { Attestation, IntegrityState, ProposalFact } from './integrity-state';

/** What breaks an invariant, one code per kind of finding. */
export type ViolationCode =
  | 'EXECUTION_NOT_ALLOWED'
  | 'COMPLETION_WITHOUT_START'
  | 'TOKEN_MISSING'
  | 'TOKEN_KEY_UNKNOWN'
  | 'TOKEN_REUSED'
  | 'EVENT_HASH_MISMATCH'
  | 'DECISION_HASH_MISMATCH'
  | 'UNDECODABLE_EVENT'
  | 'HEIGHT_GAP'
  | 'PREV_HASH_MISMATCH'
  | 'CHECKPOINT_UNVERIFIED'
  | 'CHECKPOINT_ROOT_MISMATCH'
  | 'CHAIN_TRUNCATED'
  | 'HISTORY_REWRITTEN'
  | 'EXECUTION_DURING_LOCKDOWN'
  | 'ALLOW_DURING_LOCKDOWN'
  | 'WRONG_TENANT'
  | 'FOREIGN_PROPOSAL';

/** One event a finding is about: where it is and what is wrong with it. */
export interface EvidenceEvent {
  height: number | null;
  eventId: string | null;
  hash: string | null;
  /** A sentence: what is wrong with this event. */
  problem: string;
  /** Its position in the ledger stream. */
  sequence: number | null;
}

export interface ViolationEvidence {
  events: EvidenceEvent[];
  /** The checkpoint or earlier check a finding about the tree is measured against. */
  attestation?: Omit<Attestation, 'mustBeReached'>;
  [detail: string]: unknown;
}

/** One finding: which invariant, in which tenant, about which events. */
export interface Violation {
  invariant: InvariantName;
  code: ViolationCode;
  tenantId: string;
  /** The same finding always gets the same key (a re-check finds it again): one incident per key. */
  key: string;
  /** The anomaly it is recorded as: the record itself is in doubt, or a rule of the kernel was broken. */
  kind: 'HASH_CHAIN_FAILURE' | 'INVARIANT_VIOLATION';
  summary: string;
  evidence: ViolationEvidence;
}

/** One message from the tenant's ledger subject: its event as parsed, or its text when it is not JSON. */
export interface MonitoredEntry {
  sequence: number;
  event?: unknown;
  /** The message's text, for one that could not be parsed. */
  raw?: string;
}

/** A signed checkpoint of the tenant's tree as read from the checkpoint stream. */
export interface MonitoredCheckpoint {
  sequence: number;
  checkpoint: unknown;
  /** Read before the entries of this check (so they must reach its size), or after them. */
  readBeforeEvents: boolean;
}

export interface IntegrityCheckInput {
  /** The tenant's messages after `state.sequence`, in stream order. */
  entries: readonly MonitoredEntry[];
  checkpoints?: readonly MonitoredCheckpoint[];
  /** The ledger's checkpoint public keys by key id; null when they could not be had (signatures are then not checked). */
  checkpointKeys?: ReadonlyMap<string, KeyObject> | null;
  /** The key ids of the gateways' execution-token keys; null when unknown (the key is then not checked). */
  tokenKeyIds?: ReadonlySet<string> | null;
  /** The tenant of proposals the entries name that this state does not know (from the proposals read model). */
  proposalOwners?: ReadonlyMap<string, string>;
  /** What the adapter keeps of the proposals the entries name (`referencedProposalIds`) and the state does not hold. */
  proposals?: ReadonlyMap<string, ProposalFact>;
  /**
   * False for a slice of a longer read: checkpoints read before the events are then measured
   * only by the slice that ends the history (default true: this input reaches the head).
   */
  endOfHistory?: boolean;
}

export interface IntegrityCheckOutcome {
  state: IntegrityState;
  violations: Violation[];
  eventsExamined: number;
  checkpointsExamined: number;
  /** What could not be checked, and why (not violations). */
  notes: string[];
  /** Every proposal fact this check set (or removed: null), for an adapter that keeps proposals apart. */
  proposalChanges: Record<string, ProposalFact | null>;
}

/**
 * A token can start an execution for EXECUTION_TOKEN_TTL_SECONDS at most (an hour at most);
 * a token id seen again within twice that is a replay. One seen again later can only be a
 * forged event, and a replay for the same proposal is also NO_SIDE_EFFECT_WITHOUT_ALLOW, so
 * older ids are let go: the state follows the token traffic of two hours, not the history.
 */
export const TOKEN_MEMORY_MS = 2 * 60 * 60 * 1000;

const HASH_CHAIN_CODES: ReadonlySet<ViolationCode> = new Set([
  'EVENT_HASH_MISMATCH',
  'UNDECODABLE_EVENT',
  'HEIGHT_GAP',
  'PREV_HASH_MISMATCH',
  'CHECKPOINT_UNVERIFIED',
  'CHECKPOINT_ROOT_MISMATCH',
  'CHAIN_TRUNCATED',
  'HISTORY_REWRITTEN',
]);

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

const EVENT_SHAPE: Record<string, (value: unknown) => boolean> = {
  tenantId: (value) => typeof value === 'string',
  height: (value) => typeof value === 'number' && Number.isSafeInteger(value),
  prevHash: (value) => typeof value === 'string',
  eventId: (value) => typeof value === 'string',
  type: (value) => typeof value === 'string',
  recordedAt: (value) => typeof value === 'string',
  hash: (value) => typeof value === 'string',
};

const shapeProblem = (candidate: unknown): string | null => {
  if (!isRecord(candidate)) return 'it is not a JSON object';
  for (const [field, valid] of Object.entries(EVENT_SHAPE)) if (!valid(candidate[field])) return `${field} is missing or of the wrong type`;
  return 'data' in candidate ? null : 'data is missing';
};

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

const at = (event: LedgerEvent, sequence: number, problem: string): EvidenceEvent => ({ height: event.height, eventId: event.eventId, hash: event.hash, problem, sequence });

/** The check of one batch; mutates its own copy of the state. */
class IntegrityCheck {
  readonly violations: Violation[] = [];
  readonly notes: string[] = [];
  private readonly tree: MerkleAccumulator;
  private examined = 0;
  private checkpoints = 0;
  /** The examined message's index on the subject (its leaf index): what names a finding, the same after a re-check from the start. */
  private position = 0;

  private readonly changes: Record<string, ProposalFact | null> = {};

  constructor(
    private readonly state: IntegrityState,
    private readonly input: IntegrityCheckInput,
  ) {
    for (const [proposalId, fact] of input.proposals ?? []) if (!(proposalId in state.proposals)) state.proposals[proposalId] = fact;
    this.tree = MerkleAccumulator.restore(
      state.treeSize,
      state.frontier.map((hash) => Buffer.from(hash, 'hex')),
    );
  }

  run(): IntegrityCheckOutcome {
    const before = (this.input.checkpoints ?? []).filter((checkpoint) => checkpoint.readBeforeEvents);
    const after = (this.input.checkpoints ?? []).filter((checkpoint) => !checkpoint.readBeforeEvents);
    for (const checkpoint of before) this.acceptCheckpoint(checkpoint);
    for (const entry of this.input.entries) this.examine(entry);
    for (const checkpoint of after) this.acceptCheckpoint(checkpoint);
    if (this.input.endOfHistory !== false) this.settleUnreached();
    this.pruneTokens();
    this.state.treeSize = this.tree.size;
    this.state.frontier = this.tree.frontier.map((hash) => hash.toString('hex'));
    this.state.eventsExamined += this.examined;
    return {
      state: this.state,
      violations: this.violations,
      eventsExamined: this.examined,
      checkpointsExamined: this.checkpoints,
      notes: this.notes,
      proposalChanges: this.changes,
    };
  }

  private violate(invariant: InvariantName, code: ViolationCode, summary: string, evidence: ViolationEvidence, identity: string): void {
    const tenantId = this.state.tenantId;
    this.violations.push({
      invariant,
      code,
      tenantId,
      key: sha256Hex(`${tenantId}|${invariant}|${code}|${identity}`),
      kind: HASH_CHAIN_CODES.has(code) ? 'HASH_CHAIN_FAILURE' : 'INVARIANT_VIOLATION',
      summary,
      evidence,
    });
  }

  private examine(entry: MonitoredEntry): void {
    this.examined += 1;
    this.position = this.tree.size;
    this.state.sequence = Math.max(this.state.sequence, entry.sequence);
    const problem = entry.event === undefined ? 'it is not JSON' : shapeProblem(entry.event);
    if (problem !== null) {
      this.undecodable(entry, problem);
      return;
    }
    const event = entry.event as LedgerEvent;
    const tenantId = this.state.tenantId;
    if (event.tenantId !== tenantId) {
      this.violate(
        'TENANT_ISOLATION_ENFORCED',
        'WRONG_TENANT',
        `An event of tenant ${event.tenantId} is on the ledger of tenant ${tenantId} at height ${event.height}`,
        { events: [at(event, entry.sequence, `its tenantId is ${event.tenantId}, not ${tenantId}`)] },
        `${this.position}|${event.hash}`,
      );
    }
    this.checkLink(event, entry.sequence);
    this.checkHash(event, entry.sequence);
    this.state.height = event.height;
    this.state.hash = event.hash;
    const recordedMs = Date.parse(event.recordedAt);
    if (Number.isFinite(recordedMs)) this.state.latestRecordedMs = Math.max(this.state.latestRecordedMs, recordedMs);
    this.follow(event, entry.sequence, Number.isFinite(recordedMs) ? recordedMs : this.state.latestRecordedMs);
    this.appendLeaf(eventLeafHash(event));
  }

  private undecodable(entry: MonitoredEntry, problem: string): void {
    const raw = entry.raw ?? safeCanonical(entry.event);
    const identity = sha256Hex(raw);
    this.violate(
      'HASH_CHAIN_CONTINUOUS',
      'UNDECODABLE_EVENT',
      `The message at stream sequence ${entry.sequence} on the ledger of tenant ${this.state.tenantId} is not a ledger event: ${problem}`,
      { events: [{ height: null, eventId: null, hash: null, problem: `not a ledger event: ${problem}`, sequence: entry.sequence }], sha256: identity },
      `${this.position}|${identity}`,
    );
    // It is a leaf of whatever tree is signed over the subject; the chain goes on from the event before it.
    this.appendLeaf(leafHash(Buffer.from(raw, 'utf8')));
  }

  private checkLink(event: LedgerEvent, sequence: number): void {
    const expectedHeight = this.state.height + 1;
    if (event.height !== expectedHeight) {
      this.violate(
        'HASH_CHAIN_CONTINUOUS',
        'HEIGHT_GAP',
        `The ledger of tenant ${this.state.tenantId} goes from height ${this.state.height} to ${event.height}`,
        { events: [at(event, sequence, `its height is ${event.height}, the next one is ${expectedHeight}`)], expected: expectedHeight, actual: event.height },
        `${this.position}|${event.hash}`,
      );
    }
    if (event.prevHash !== this.state.hash) {
      this.violate(
        'HASH_CHAIN_CONTINUOUS',
        'PREV_HASH_MISMATCH',
        `The event at height ${event.height} of tenant ${this.state.tenantId} does not link to the event before it`,
        { events: [at(event, sequence, `its prevHash is ${event.prevHash}, the event before has hash ${this.state.hash}`)], expected: this.state.hash, actual: event.prevHash },
        `${this.position}|${event.hash}`,
      );
    }
  }

  private checkHash(event: LedgerEvent, sequence: number): void {
    let recomputed: string;
    try {
      recomputed = hashEvent(event);
    } catch (error) {
      recomputed = `not computable: ${(error as Error).message}`;
    }
    if (recomputed === event.hash) return;
    this.violate(
      'DECISION_HASH_VALID',
      'EVENT_HASH_MISMATCH',
      `The event at height ${event.height} of tenant ${this.state.tenantId} does not hash to its hash: it was altered`,
      { events: [at(event, sequence, `SHA-256 of its RFC 8785 form is ${recomputed}, it says ${event.hash}`)], expected: recomputed, actual: event.hash },
      `${this.position}|${event.hash}|${recomputed}`,
    );
  }

  /** The semantic invariants: what the event says happened, against what the chain allowed so far. */
  private follow(event: LedgerEvent, sequence: number, recordedMs: number): void {
    const data = isRecord(event.data) ? event.data : {};
    switch (event.type) {
      case 'DecisionRecorded':
        return this.followDecision(event, sequence, data as { proposal?: Proposal; decision?: Decision });
      case 'ProposalApproved':
      case 'VetoWindowElapsed':
      case 'ProposalRejected':
      case 'ProposalVetoed':
        return this.followVerdict(event, sequence, data as { proposalId?: unknown });
      case 'ExecutionStarted':
        return this.followStart(event, sequence, data as Partial<ExecutionStartedData>, recordedMs);
      case 'ExecutionCompleted':
        return this.followCompletion(event, sequence, data as Partial<ExecutionCompletedData>);
      case 'LockdownEngaged':
        if (nonEmpty(data['lockdownId'])) this.state.lockdowns[data['lockdownId']] = (data['scope'] === 'global' ? 'global' : 'tenant') as LockdownScope;
        return;
      case 'LockdownReleased':
        if (nonEmpty(data['lockdownId'])) delete this.state.lockdowns[data['lockdownId']];
        return;
      default:
        return;
    }
  }

  private setFact(proposalId: string, fact: ProposalFact | null): void {
    if (fact === null) delete this.state.proposals[proposalId];
    else this.state.proposals[proposalId] = fact;
    this.changes[proposalId] = fact;
  }

  private lockdownInForce(): string | undefined {
    for (const lockdownId in this.state.lockdowns) return lockdownId;
    return undefined;
  }

  private followDecision(event: LedgerEvent, sequence: number, data: { proposal?: Proposal; decision?: Decision }): void {
    const proposalId = data.proposal?.proposalId;
    if (data.proposal && data.proposal.tenantId !== this.state.tenantId) {
      this.violate(
        'TENANT_ISOLATION_ENFORCED',
        'WRONG_TENANT',
        `Tenant ${this.state.tenantId} recorded a decision on proposal ${String(proposalId)} of tenant ${String(data.proposal.tenantId)}`,
        { events: [at(event, sequence, `the proposal's tenantId is ${String(data.proposal.tenantId)}`)] },
        `${this.position}|${event.hash}|proposal`,
      );
    }
    const status = data.decision?.status;
    const lockdownId = this.lockdownInForce();
    if (lockdownId !== undefined && (status === 'ALLOW' || data.decision?.allowed === true)) {
      this.violate(
        'LOCKDOWN_OVERRIDES_ALL',
        'ALLOW_DURING_LOCKDOWN',
        `Proposal ${String(proposalId)} of tenant ${this.state.tenantId} was allowed at height ${event.height} while lockdown ${lockdownId} was in force`,
        { events: [at(event, sequence, `an ALLOW decision during lockdown ${lockdownId}`)], lockdownId },
        `${this.position}|${event.hash}`,
      );
    }
    if (!nonEmpty(proposalId)) return;
    const kernelRun = data.proposal?.type === 'policy:update';
    if (status === 'ALLOW' && !kernelRun) this.setFact(proposalId, { stage: 'EXECUTABLE', hash: event.hash });
    else if (status === 'REQUIRE_HUMAN' || status === 'HELD_FOR_VETO') this.setFact(proposalId, { stage: status === 'REQUIRE_HUMAN' ? 'PENDING_APPROVAL' : 'HELD_FOR_VETO', kernelRun });
    else if (proposalId in this.state.proposals) this.setFact(proposalId, null);
  }

  /** A proposal the chain does not know as its own, when the read model says another tenant has it. */
  private foreignOwner(proposalId: string): string | undefined {
    if (proposalId in this.state.proposals) return undefined;
    const owner = this.input.proposalOwners?.get(proposalId);
    return owner !== undefined && owner !== this.state.tenantId ? owner : undefined;
  }

  private checkOwnProposal(event: LedgerEvent, sequence: number, proposalId: string): void {
    const owner = this.foreignOwner(proposalId);
    if (owner === undefined) return;
    this.violate(
      'TENANT_ISOLATION_ENFORCED',
      'FOREIGN_PROPOSAL',
      `The ${event.type} at height ${event.height} of tenant ${this.state.tenantId} names proposal ${proposalId} of another tenant`,
      { events: [at(event, sequence, `proposal ${proposalId} belongs to another tenant`)], proposalId },
      `${this.position}|${event.hash}`,
    );
  }

  private followVerdict(event: LedgerEvent, sequence: number, data: { proposalId?: unknown }): void {
    if (!nonEmpty(data.proposalId)) return;
    const proposalId = data.proposalId;
    this.checkOwnProposal(event, sequence, proposalId);
    const fact = this.state.proposals[proposalId];
    if (!fact || fact.stage === 'EXECUTABLE') return;
    const executable = (event.type === 'ProposalApproved' && fact.stage === 'PENDING_APPROVAL') || (event.type === 'VetoWindowElapsed' && fact.stage === 'HELD_FOR_VETO');
    this.setFact(proposalId, executable && !fact.kernelRun ? { stage: 'EXECUTABLE', hash: event.hash } : null);
  }

  private followStart(event: LedgerEvent, sequence: number, data: Partial<ExecutionStartedData>, recordedMs: number): void {
    const proposalId = nonEmpty(data.proposalId) ? data.proposalId : '(none)';
    const identity = `${this.position}|${event.hash}`;
    this.checkOwnProposal(event, sequence, proposalId);

    const lockdownId = this.lockdownInForce();
    if (lockdownId !== undefined) {
      this.violate(
        'LOCKDOWN_OVERRIDES_ALL',
        'EXECUTION_DURING_LOCKDOWN',
        `An execution of proposal ${proposalId} started at height ${event.height} of tenant ${this.state.tenantId} while lockdown ${lockdownId} was in force`,
        { events: [at(event, sequence, `an execution started during lockdown ${lockdownId}`)], lockdownId },
        identity,
      );
    }

    this.checkToken(event, sequence, data, recordedMs);

    const fact = this.state.proposals[proposalId];
    const executableHash = fact?.stage === 'EXECUTABLE' ? fact.hash : undefined;
    if (executableHash === undefined) {
      const why = fact ? `it is still ${fact.stage}` : 'the chain holds no ALLOW decision, approval or elapsed veto window for it, or it was executed already';
      this.violate(
        'NO_SIDE_EFFECT_WITHOUT_ALLOW',
        'EXECUTION_NOT_ALLOWED',
        `An execution of proposal ${proposalId} started at height ${event.height} of tenant ${this.state.tenantId} without an ALLOW: ${why}`,
        { events: [at(event, sequence, `proposal ${proposalId} was not executable: ${why}`)], proposalId },
        identity,
      );
      this.violate(
        'DECISION_HASH_VALID',
        'DECISION_HASH_MISMATCH',
        `The execution at height ${event.height} of tenant ${this.state.tenantId} names decision ${String(data.decisionHash)}, which made nothing executable`,
        { events: [at(event, sequence, `decisionHash ${String(data.decisionHash)} is not the hash of an event that made proposal ${proposalId} executable`)], proposalId },
        identity,
      );
    } else if (data.decisionHash !== executableHash) {
      this.violate(
        'DECISION_HASH_VALID',
        'DECISION_HASH_MISMATCH',
        `The execution of proposal ${proposalId} at height ${event.height} of tenant ${this.state.tenantId} names the wrong decision`,
        {
          events: [at(event, sequence, `decisionHash is ${String(data.decisionHash)}; the event that made proposal ${proposalId} executable has hash ${executableHash}`)],
          expected: executableHash,
          actual: data.decisionHash ?? null,
        },
        identity,
      );
    }
    if (executableHash !== undefined) this.setFact(proposalId, null);
    if (nonEmpty(data.executionId)) this.state.executions[data.executionId] = { proposalId, decisionHash: String(data.decisionHash) };
  }

  private checkToken(event: LedgerEvent, sequence: number, data: Partial<ExecutionStartedData>, recordedMs: number): void {
    const identity = `${this.position}|${event.hash}`;
    if (!nonEmpty(data.tokenId) || !nonEmpty(data.tokenKeyId)) {
      const missing = [nonEmpty(data.tokenId) ? null : 'tokenId', nonEmpty(data.tokenKeyId) ? null : 'tokenKeyId'].filter(Boolean).join(' and ');
      this.violate(
        'EXECUTION_TOKEN_REQUIRED',
        'TOKEN_MISSING',
        `The execution at height ${event.height} of tenant ${this.state.tenantId} names no execution token (${missing} missing)`,
        { events: [at(event, sequence, `${missing} missing`)] },
        identity,
      );
      return;
    }
    const keys = this.input.tokenKeyIds;
    if (keys && !keys.has(data.tokenKeyId)) {
      this.violate(
        'EXECUTION_TOKEN_REQUIRED',
        'TOKEN_KEY_UNKNOWN',
        `The execution at height ${event.height} of tenant ${this.state.tenantId} was started with a token of an unknown key ${data.tokenKeyId}`,
        { events: [at(event, sequence, `token key ${data.tokenKeyId} is none of the gateways' keys`)], tokenKeyId: data.tokenKeyId },
        identity,
      );
    }
    if (data.tokenId in this.state.tokens) {
      this.violate(
        'EXECUTION_TOKEN_REQUIRED',
        'TOKEN_REUSED',
        `Token ${data.tokenId} started a second execution at height ${event.height} of tenant ${this.state.tenantId}`,
        { events: [at(event, sequence, `token ${data.tokenId} started an execution before`)], tokenId: data.tokenId },
        identity,
      );
    }
    this.state.tokens[data.tokenId] = recordedMs;
  }

  private followCompletion(event: LedgerEvent, sequence: number, data: Partial<ExecutionCompletedData>): void {
    const executionId = nonEmpty(data.executionId) ? data.executionId : '(none)';
    const identity = `${this.position}|${event.hash}`;
    if (nonEmpty(data.proposalId)) this.checkOwnProposal(event, sequence, data.proposalId);
    const started = this.state.executions[executionId];
    if (!started) {
      this.violate(
        'NO_SIDE_EFFECT_WITHOUT_ALLOW',
        'COMPLETION_WITHOUT_START',
        `Execution ${executionId} ended at height ${event.height} of tenant ${this.state.tenantId} without a start in the chain`,
        { events: [at(event, sequence, `execution ${executionId} never started, or ended already`)], executionId },
        identity,
      );
      return;
    }
    if (data.decisionHash !== started.decisionHash) {
      this.violate(
        'DECISION_HASH_VALID',
        'DECISION_HASH_MISMATCH',
        `Execution ${executionId} ended at height ${event.height} of tenant ${this.state.tenantId} under another decision than it started`,
        { events: [at(event, sequence, `decisionHash is ${String(data.decisionHash)}; the execution started under ${started.decisionHash}`)], expected: started.decisionHash, actual: data.decisionHash ?? null },
        identity,
      );
    }
    delete this.state.executions[executionId];
  }

  private appendLeaf(hash: Uint8Array): void {
    this.tree.append(hash);
    const attestations = this.state.attestations;
    while (attestations.length > 0 && (attestations[0] as Attestation).treeSize <= this.tree.size) {
      const attestation = attestations.shift() as Attestation;
      if (attestation.treeSize === this.tree.size) this.compare(attestation, this.tree.root().toString('hex'));
    }
  }

  private acceptCheckpoint({ sequence, checkpoint, readBeforeEvents }: MonitoredCheckpoint): void {
    this.checkpoints += 1;
    this.state.checkpointSequence = Math.max(this.state.checkpointSequence, sequence);
    const keys = this.input.checkpointKeys;
    const verification = verifyCheckpoint(checkpoint, keys ?? new Map());
    const identity = `checkpoint|${sha256Hex(safeCanonical(checkpoint))}`;
    const unverified = (problem: string) =>
      this.violate(
        'HASH_CHAIN_CONTINUOUS',
        'CHECKPOINT_UNVERIFIED',
        `A checkpoint on the checkpoint stream of tenant ${this.state.tenantId} (sequence ${sequence}) is not the ledger's: ${problem}`,
        { events: [], checkpoint, problem },
        identity,
      );
    if (!verification.ok && (verification.reason === 'MALFORMED' || keys)) {
      unverified(verification.detail);
      return;
    }
    const signed = checkpoint as { tenantId: string; treeSize: number; rootHash: string; issuedAt: string; keyId: string };
    if (!keys) this.notes.push(`the signature of the checkpoint of ${signed.treeSize} events was not checked: the ledger's public keys were not available`);
    if (signed.tenantId !== this.state.tenantId) {
      this.violate(
        'TENANT_ISOLATION_ENFORCED',
        'WRONG_TENANT',
        `A checkpoint of tenant ${signed.tenantId} is on the checkpoint subject of tenant ${this.state.tenantId}`,
        { events: [], checkpoint },
        identity,
      );
      return;
    }
    const attestation: Attestation = { treeSize: signed.treeSize, rootHash: signed.rootHash, source: 'checkpoint', keyId: signed.keyId, issuedAt: signed.issuedAt, mustBeReached: readBeforeEvents };
    if (signed.treeSize === this.tree.size) {
      this.compare(attestation, this.tree.root().toString('hex'));
    } else if (signed.treeSize > this.tree.size) {
      const attestations = this.state.attestations;
      const index = attestations.findIndex((other) => other.treeSize > signed.treeSize);
      attestations.splice(index < 0 ? attestations.length : index, 0, attestation);
    } else if (this.state.verified?.treeSize === signed.treeSize) {
      this.compare(attestation, this.state.verified.rootHash);
    } else {
      // Signed by a ledger instance that read the stream before the last check and published after it: rare, and not wrong.
      this.notes.push(`the checkpoint of ${signed.treeSize} events arrived after the check had passed that size; it is verified only by a check from the start`);
    }
  }

  private compare(attestation: Attestation, actualRoot: string): void {
    const { mustBeReached: _mustBeReached, ...described } = attestation;
    if (attestation.rootHash === actualRoot) {
      if (attestation.source === 'checkpoint' && (this.state.verified === null || attestation.treeSize >= this.state.verified.treeSize)) {
        this.state.verified = { treeSize: attestation.treeSize, rootHash: attestation.rootHash };
      }
      return;
    }
    const previous = attestation.source === 'previous-check';
    this.violate(
      'HASH_CHAIN_CONTINUOUS',
      previous ? 'HISTORY_REWRITTEN' : 'CHECKPOINT_ROOT_MISMATCH',
      previous
        ? `The first ${attestation.treeSize} events of tenant ${this.state.tenantId} are no longer the ones an earlier check examined: the history was rewritten`
        : `The first ${attestation.treeSize} events of tenant ${this.state.tenantId} do not have the Merkle root the ledger signed: an event among them was altered, removed or reordered`,
      {
        events: [{ height: attestation.treeSize, eventId: null, hash: this.state.hash, problem: `the root of the first ${attestation.treeSize} events is ${actualRoot}, not ${attestation.rootHash}`, sequence: null }],
        attestation: described,
        expected: attestation.rootHash,
        actual: actualRoot,
      },
      `${attestation.source}|${attestation.treeSize}|${attestation.rootHash}|${actualRoot}`,
    );
  }

  /** Checkpoints read before the events that the events did not reach: the chain is shorter than what was signed. */
  private settleUnreached(): void {
    const kept: Attestation[] = [];
    for (const attestation of this.state.attestations) {
      if (!attestation.mustBeReached) {
        kept.push({ ...attestation, mustBeReached: true });
        continue;
      }
      const { mustBeReached: _mustBeReached, ...described } = attestation;
      const by = attestation.source === 'checkpoint' ? `a checkpoint signed ${attestation.treeSize} events` : `an earlier check examined ${attestation.treeSize} events`;
      this.violate(
        'HASH_CHAIN_CONTINUOUS',
        'CHAIN_TRUNCATED',
        `The ledger of tenant ${this.state.tenantId} holds ${this.tree.size} events, but ${by}: it was truncated`,
        {
          events: [{ height: this.tree.size, eventId: null, hash: this.state.hash, problem: `the chain ends at height ${this.tree.size}; ${by}`, sequence: this.state.sequence }],
          attestation: described,
          expected: attestation.treeSize,
          actual: this.tree.size,
        },
        `${attestation.source}|${attestation.treeSize}|${attestation.rootHash}|truncated`,
      );
    }
    this.state.attestations = kept;
  }

  private pruneTokens(): void {
    const horizon = this.state.latestRecordedMs - TOKEN_MEMORY_MS;
    for (const tokenId in this.state.tokens) if ((this.state.tokens[tokenId] as number) < horizon) delete this.state.tokens[tokenId];
  }
}

const safeCanonical = (value: unknown): string => {
  try {
    return canonicalize(value);
  } catch {
    return String(value);
  }
};

/**
 * Checks the tenant's chain from where `state` ended through `input.entries` (its next
 * messages in stream order), against every invariant at once, and answers the findings with
 * their evidence and the state to carry on from. Pure: the same state and input always give
 * the same outcome, and checking A then B ends in the same state, with the same findings, as
 * checking A and B at once. The state given is not changed.
 */
export const checkIntegrity = (state: IntegrityState, input: IntegrityCheckInput): IntegrityCheckOutcome => new IntegrityCheck(structuredClone(state), input).run();

/** The proposals the entries name in verdicts and executions that the state does not hold: the adapter looks up their facts and owners. */
export const referencedProposalIds = (state: IntegrityState, entries: readonly MonitoredEntry[]): string[] => {
  const ids = new Set<string>();
  for (const { event } of entries) {
    if (!isRecord(event) || !isRecord(event['data']) || event['type'] === 'DecisionRecorded') continue;
    const proposalId = event['data']['proposalId'];
    if (nonEmpty(proposalId) && !(proposalId in state.proposals)) ids.add(proposalId);
  }
  return [...ids];
};
