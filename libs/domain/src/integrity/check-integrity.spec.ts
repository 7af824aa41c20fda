import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import type { DecisionStatus, LedgerEvent, LedgerEventType } from '@halm/contracts';
import { signCheckpoint, type SignedCheckpoint } from '../ledger/checkpoint';
import { publicKeyId, verifyingKeysFrom } from '../ledger/export-verification';
import { chain, EMPTY_HEAD, hashEvent, headOf, type ChainHead } from '../ledger/hash-chain';
import { eventLeafHash, merkleRoot } from '../ledger/merkle-tree';
import { publicKeyOf } from '../tokens/execution-token';
import { checkIntegrity, referencedProposalIds, TOKEN_MEMORY_MS, type IntegrityCheckInput, type MonitoredEntry, type Violation } from './check-integrity';
import { initialIntegrityState, restartIntegrityState, stateRootHash, withoutProposals, type IntegrityState, type ProposalFact } from './integrity-state';

const TENANT = 'ten_a';
const START = Date.parse('2026-03-15T10:00:00.000Z');
const ledgerKey = generateKeyPairSync('ed25519');
const checkpointKeys = verifyingKeysFrom([publicKeyOf(ledgerKey.privateKey)]);
const ledgerKeyId = publicKeyId(publicKeyOf(ledgerKey.privateKey));
const TOKEN_KEY = 'kid_gateway';

/** A tenant's chain built event by event as the ledger would record it; each event one second after the last. */
class History {
  readonly events: LedgerEvent[] = [];
  private head: ChainHead = EMPTY_HEAD;
  private tokens = 0;

  constructor(readonly tenantId = TENANT) {}

  add(type: LedgerEventType, data: unknown, eventId = `e${this.events.length + 1}`): LedgerEvent {
    const event = chain(this.head, { tenantId: this.tenantId, eventId, type, recordedAt: new Date(START + this.events.length * 1000).toISOString(), data });
    this.events.push(event);
    this.head = headOf(event);
    return event;
  }

  decide(proposalId: string, status: DecisionStatus, type = 'task:create'): LedgerEvent {
    return this.add('DecisionRecorded', {
      proposal: { proposalId, tenantId: this.tenantId, type, payload: { title: 'x' }, context: {}, submittedAt: '2026-03-15T09:59:59.000Z' },
      decision: { proposalId, status, allowed: status === 'ALLOW', reasons: [], constraints: {}, vetoDeadline: null, humanApprovalRequired: false, decidedAt: '2026-03-15T10:00:00.000Z', policy: { version: 1, hash: 'p' }, matchedRules: [], stateRead: {} },
    });
  }

  start(proposalId: string, decisionHash: string, overrides: Record<string, unknown> = {}): LedgerEvent {
    this.tokens += 1;
    return this.add('ExecutionStarted', {
      executionId: `exe_${proposalId}`,
      proposalId,
      idempotencyKey: `key-${proposalId}`,
      actionType: 'task:create',
      actionDigest: 'd',
      decisionHash,
      tokenId: `jti_${this.tokens}`,
      tokenKeyId: TOKEN_KEY,
      performer: 'agent',
      connector: null,
      executorId: 'executor-1',
      requestedBy: { kind: 'key', id: 'key_1' },
      ...overrides,
    });
  }

  complete(proposalId: string, decisionHash: string): LedgerEvent {
    return this.add('ExecutionCompleted', { executionId: `exe_${proposalId}`, proposalId, decisionHash, outcome: 'SUCCEEDED', result: {}, by: { kind: 'key', id: 'key_1' } });
  }

  /** A decision allowed, executed and completed: three honest events. */
  executed(proposalId: string): void {
    const decision = this.decide(proposalId, 'ALLOW');
    this.start(proposalId, decision.hash);
    this.complete(proposalId, decision.hash);
  }

  checkpoint(treeSize: number, tenantId = this.tenantId): SignedCheckpoint {
    const rootHash = merkleRoot(this.events.slice(0, treeSize).map(eventLeafHash)).toString('hex');
    return signCheckpoint({ tenantId, treeSize, rootHash, issuedAt: '2026-03-15T11:00:00.000Z' }, ledgerKey.privateKey, ledgerKeyId);
  }
}

const entriesOf = (events: readonly unknown[], firstSequence = 1): MonitoredEntry[] => events.map((event, index) => ({ sequence: firstSequence + index, event: JSON.parse(JSON.stringify(event)) }));

const check = (events: readonly unknown[], extra: Partial<IntegrityCheckInput> = {}, state: IntegrityState = initialIntegrityState(TENANT)) =>
  checkIntegrity(state, { entries: entriesOf(events, state.sequence + 1), checkpointKeys, tokenKeyIds: new Set([TOKEN_KEY]), ...extra });

const found = (violations: readonly Violation[]) => violations.map((violation) => `${violation.invariant}/${violation.code}`);

/** An honest history with every kind of event the checks follow. */
const honest = (): History => {
  const history = new History();
  history.executed('prop_1');
  const pending = history.decide('prop_2', 'REQUIRE_HUMAN');
  history.add('ProposalApproved', { proposalId: 'prop_2', by: { kind: 'key', id: 'key_2' }, reason: 'ok' });
  const approval = history.events.at(-1)!;
  history.start('prop_2', approval.hash);
  history.complete('prop_2', approval.hash);
  history.decide('prop_3', 'HELD_FOR_VETO');
  history.add('VetoWindowElapsed', { proposalId: 'prop_3', vetoDeadline: '2026-03-15T10:00:05.000Z' });
  history.start('prop_3', history.events.at(-1)!.hash);
  history.decide('prop_4', 'DENY');
  history.add('LockdownEngaged', { lockdownId: 'lck_1', scope: 'tenant', trigger: 'MANUAL', reason: 'r', by: { kind: 'key', id: 'key_2' }, evidence: {} });
  history.decide('prop_5', 'DENY');
  history.add('LockdownReleased', { lockdownId: 'lck_1', scope: 'tenant', reason: 'checked', by: { kind: 'key', id: 'key_2' } });
  history.decide('prop_6', 'ALLOW');
  expect(pending.type).toBe('DecisionRecorded');
  return history;
};

describe('checkIntegrity', () => {
  it('passes an honest history with approvals, veto windows, executions and a lockdown, and signed checkpoints', () => {
    const history = honest();
    const outcome = check(history.events, {
      checkpoints: [
        { sequence: 1, checkpoint: history.checkpoint(5), readBeforeEvents: true },
        { sequence: 2, checkpoint: history.checkpoint(history.events.length), readBeforeEvents: true },
      ],
    });

    expect(outcome.violations).toEqual([]);
    expect(outcome.notes).toEqual([]);
    expect(outcome.eventsExamined).toBe(history.events.length);
    expect(outcome.state).toMatchObject({ height: history.events.length, hash: history.events.at(-1)!.hash, treeSize: history.events.length, verified: { treeSize: history.events.length } });
    expect(outcome.state.proposals).toEqual({ prop_6: { stage: 'EXECUTABLE', hash: history.events.at(-1)!.hash } });
    expect(outcome.state.executions).toEqual({ exe_prop_3: { proposalId: 'prop_3', decisionHash: expect.any(String) } });
    expect(stateRootHash(outcome.state)).toBe(history.checkpoint(history.events.length).rootHash);
  });

  it('leaves the state it was given as it was', () => {
    const history = honest();
    const state = initialIntegrityState(TENANT);
    check(history.events, {}, state);
    expect(state).toEqual(initialIntegrityState(TENANT));
  });

  describe('NO_SIDE_EFFECT_WITHOUT_ALLOW', () => {
    it('catches an execution of a denied proposal, naming the event', () => {
      const history = new History();
      const denied = history.decide('prop_1', 'DENY');
      const forged = history.start('prop_1', denied.hash);

      const { violations } = check(history.events);

      expect(found(violations)).toEqual(['NO_SIDE_EFFECT_WITHOUT_ALLOW/EXECUTION_NOT_ALLOWED', 'DECISION_HASH_VALID/DECISION_HASH_MISMATCH']);
      expect(violations[0]).toMatchObject({
        tenantId: TENANT,
        kind: 'INVARIANT_VIOLATION',
        evidence: { events: [{ height: 2, eventId: forged.eventId, hash: forged.hash, sequence: 2, problem: expect.stringContaining('prop_1 was not executable') }] },
      });
    });

    it('catches an execution of a proposal still waiting for a human, and a second execution of one proposal', () => {
      const history = new History();
      const pending = history.decide('prop_1', 'REQUIRE_HUMAN');
      history.start('prop_1', pending.hash);
      const allowed = history.decide('prop_2', 'ALLOW');
      history.start('prop_2', allowed.hash);
      history.start('prop_2', allowed.hash, { executionId: 'exe_again' });

      const { violations } = check(history.events);

      expect(violations.filter((violation) => violation.invariant === 'NO_SIDE_EFFECT_WITHOUT_ALLOW').map((violation) => violation.evidence.events[0]!.height)).toEqual([2, 5]);
      expect(violations[0]!.summary).toContain('still PENDING_APPROVAL');
    });

    it('catches an execution of a policy:update proposal, which only the kernel carries out', () => {
      const history = new History();
      const decision = history.decide('prop_1', 'ALLOW', 'policy:update');
      history.start('prop_1', decision.hash);
      expect(found(check(history.events).violations)).toContain('NO_SIDE_EFFECT_WITHOUT_ALLOW/EXECUTION_NOT_ALLOWED');
    });

    it('catches an execution that ends without having started', () => {
      const history = new History();
      history.complete('prop_1', 'h');
      expect(found(check(history.events).violations)).toEqual(['NO_SIDE_EFFECT_WITHOUT_ALLOW/COMPLETION_WITHOUT_START']);
    });
  });

  describe('EXECUTION_TOKEN_REQUIRED', () => {
    it('catches an execution without a token id or key id', () => {
      const history = new History();
      const decision = history.decide('prop_1', 'ALLOW');
      history.start('prop_1', decision.hash, { tokenId: '', tokenKeyId: undefined });

      const { violations } = check(history.events);

      expect(found(violations)).toEqual(['EXECUTION_TOKEN_REQUIRED/TOKEN_MISSING']);
      expect(violations[0]!.evidence.events[0]!.problem).toBe('tokenId and tokenKeyId missing');
    });

    it('catches a token of a key no gateway signs with, only when the keys are known', () => {
      const history = new History();
      const decision = history.decide('prop_1', 'ALLOW');
      history.start('prop_1', decision.hash, { tokenKeyId: 'kid_stranger' });

      expect(found(check(history.events).violations)).toEqual(['EXECUTION_TOKEN_REQUIRED/TOKEN_KEY_UNKNOWN']);
      expect(check(history.events, { tokenKeyIds: null }).violations).toEqual([]);
    });

    it('catches a token id that starts a second execution, within the token memory', () => {
      const history = new History();
      const first = history.decide('prop_1', 'ALLOW');
      history.start('prop_1', first.hash, { tokenId: 'jti_same' });
      const second = history.decide('prop_2', 'ALLOW');
      history.start('prop_2', second.hash, { tokenId: 'jti_same' });

      expect(found(check(history.events).violations)).toEqual(['EXECUTION_TOKEN_REQUIRED/TOKEN_REUSED']);
    });

    it('forgets token ids after the token memory, so the state does not grow with history', () => {
      const history = new History();
      const first = history.decide('prop_1', 'ALLOW');
      history.start('prop_1', first.hash);
      const { state } = check(history.events);
      expect(Object.keys(state.tokens)).toEqual(['jti_1']);

      const later = { ...state, latestRecordedMs: state.latestRecordedMs + TOKEN_MEMORY_MS + 1 };
      expect(check([], {}, later).state.tokens).toEqual({});
    });
  });

  describe('DECISION_HASH_VALID', () => {
    it('catches an altered event whose hash no longer recomputes, and nothing else when no checkpoint covers it', () => {
      const history = honest();
      const altered = structuredClone(history.events[3]!) as LedgerEvent & { data: { reason: string } };
      altered.data.reason = 'approved by nobody';
      const events = history.events.map((event, index) => (index === 3 ? altered : event));

      const { violations } = check(events);

      expect(found(violations)).toEqual(['DECISION_HASH_VALID/EVENT_HASH_MISMATCH']);
      expect(violations[0]).toMatchObject({ kind: 'HASH_CHAIN_FAILURE', evidence: { events: [{ height: 4, hash: altered.hash }], expected: hashEvent(altered) } });
    });

    it('catches an execution naming another decision than the one that made its proposal executable', () => {
      const history = new History();
      const decision = history.decide('prop_1', 'ALLOW');
      const other = history.decide('prop_2', 'ALLOW');
      history.start('prop_1', other.hash);
      history.complete('prop_1', decision.hash);

      const { violations } = check(history.events);

      expect(found(violations)).toEqual(['DECISION_HASH_VALID/DECISION_HASH_MISMATCH', 'DECISION_HASH_VALID/DECISION_HASH_MISMATCH']);
      expect(violations[0]!.evidence).toMatchObject({ expected: decision.hash, actual: other.hash });
    });
  });

  describe('HASH_CHAIN_CONTINUOUS', () => {
    it('catches an event forged onto the subject that does not link: a gap and a broken link, then follows the chain from it', () => {
      const history = honest();
      const forged = { ...history.events.at(-1)!, eventId: 'forged', height: 40 };
      const events = [...history.events, { ...forged, hash: hashEvent(forged) }];

      const { violations, state } = check(events);

      expect(found(violations)).toEqual(['HASH_CHAIN_CONTINUOUS/HEIGHT_GAP', 'HASH_CHAIN_CONTINUOUS/PREV_HASH_MISMATCH']);
      expect(violations[0]!.evidence).toMatchObject({ expected: history.events.length + 1, actual: 40 });
      expect(state.height).toBe(40);
    });

    it('catches a message on the subject that is not an event', () => {
      const history = honest();
      const entries = [...entriesOf(history.events), { sequence: 99, raw: 'not json' }, { sequence: 100, event: { hello: 'world' } }];

      const { violations, state } = checkIntegrity(initialIntegrityState(TENANT), { entries });

      expect(found(violations)).toEqual(['HASH_CHAIN_CONTINUOUS/UNDECODABLE_EVENT', 'HASH_CHAIN_CONTINUOUS/UNDECODABLE_EVENT']);
      expect(violations[0]!.evidence.events[0]).toMatchObject({ sequence: 99, problem: 'not a ledger event: it is not JSON' });
      expect(state).toMatchObject({ height: history.events.length, sequence: 100 });
    });

    it('catches a chain truncated below a signed checkpoint read before the events', () => {
      const history = honest();
      const checkpoint = history.checkpoint(history.events.length);
      const truncated = history.events.slice(0, -3);

      const { violations } = check(truncated, { checkpoints: [{ sequence: 1, checkpoint, readBeforeEvents: true }] });

      expect(found(violations)).toEqual(['HASH_CHAIN_CONTINUOUS/CHAIN_TRUNCATED']);
      expect(violations[0]!.evidence).toMatchObject({ expected: history.events.length, actual: history.events.length - 3, attestation: { source: 'checkpoint', treeSize: history.events.length } });
    });

    it('waits for the events of a checkpoint read after them, and verifies it on the next check', () => {
      const history = honest();
      const first = check(history.events.slice(0, 5), { checkpoints: [{ sequence: 7, checkpoint: history.checkpoint(8), readBeforeEvents: false }] });
      expect(first.violations).toEqual([]);
      expect(first.state.attestations).toMatchObject([{ treeSize: 8, mustBeReached: true }]);

      const second = check(history.events.slice(5), {}, first.state);
      expect(second.violations).toEqual([]);
      expect(second.state).toMatchObject({ attestations: [], verified: { treeSize: 8 }, checkpointSequence: 7 });
    });

    it('catches a checkpoint whose root does not match: an event it covers was altered', () => {
      const history = honest();
      const checkpoint = history.checkpoint(6);
      const altered = structuredClone(history.events[1]!) as LedgerEvent & { data: { reason?: string } };
      altered.data.reason = 'x';
      altered.hash = hashEvent(altered);
      const events = history.events.map((event, index) => (index === 1 ? altered : event));

      const { violations } = check(events, { checkpoints: [{ sequence: 1, checkpoint, readBeforeEvents: true }] });

      // re-hashed, the altered event breaks the next link, and the signed root
      expect(found(violations)).toEqual(['HASH_CHAIN_CONTINUOUS/PREV_HASH_MISMATCH', 'HASH_CHAIN_CONTINUOUS/CHECKPOINT_ROOT_MISMATCH']);
      expect(violations[1]!.evidence).toMatchObject({ expected: checkpoint.rootHash, attestation: { treeSize: 6, keyId: ledgerKeyId } });
    });

    it('catches a checkpoint that is not signed by the ledger, when the keys are known', () => {
      const history = honest();
      const stranger = generateKeyPairSync('ed25519');
      const forged = signCheckpoint({ tenantId: TENANT, treeSize: 3, rootHash: history.checkpoint(3).rootHash, issuedAt: '2026-03-15T11:00:00.000Z' }, stranger.privateKey, ledgerKeyId);

      expect(found(check(history.events, { checkpoints: [{ sequence: 1, checkpoint: forged, readBeforeEvents: true }] }).violations)).toEqual(['HASH_CHAIN_CONTINUOUS/CHECKPOINT_UNVERIFIED']);
      const unchecked = check(history.events, { checkpointKeys: null, checkpoints: [{ sequence: 1, checkpoint: forged, readBeforeEvents: true }] });
      expect(unchecked.violations).toEqual([]);
      expect(unchecked.notes).toEqual([expect.stringContaining('was not checked')]);
    });

    it('catches, on a check from the start, a history rewritten or cut short since the last check', () => {
      const history = honest();
      const { state } = check(history.events);
      const restarted = restartIntegrityState(state);
      expect(restarted).toMatchObject({ height: 0, treeSize: 0, attestations: [{ source: 'previous-check', treeSize: history.events.length }] });

      expect(check(history.events, {}, restarted).violations).toEqual([]);

      const rewritten = new History();
      rewritten.executed('prop_9');
      for (let index = 3; index < history.events.length; index += 1) rewritten.decide(`prop_x${index}`, 'DENY');
      expect(found(check(rewritten.events, {}, restarted).violations)).toEqual(['HASH_CHAIN_CONTINUOUS/HISTORY_REWRITTEN']);
      expect(found(check(history.events.slice(0, 4), {}, restarted).violations)).toEqual(['HASH_CHAIN_CONTINUOUS/CHAIN_TRUNCATED']);
    });
  });

  describe('LOCKDOWN_OVERRIDES_ALL', () => {
    it('catches an execution started and an ALLOW recorded while a lockdown is in force, not after its release', () => {
      const history = new History();
      const decision = history.decide('prop_1', 'ALLOW');
      history.add('LockdownEngaged', { lockdownId: 'lck_g', scope: 'global', trigger: 'MANUAL', reason: 'r', by: { kind: 'key', id: 'operator' }, evidence: {} });
      history.start('prop_1', decision.hash);
      history.decide('prop_2', 'ALLOW');
      history.add('LockdownReleased', { lockdownId: 'lck_g', scope: 'global', reason: 'done', by: { kind: 'key', id: 'operator' } });
      history.start('prop_2', history.events[3]!.hash);

      const { violations } = check(history.events);

      expect(found(violations)).toEqual(['LOCKDOWN_OVERRIDES_ALL/EXECUTION_DURING_LOCKDOWN', 'LOCKDOWN_OVERRIDES_ALL/ALLOW_DURING_LOCKDOWN']);
      expect(violations.map((violation) => violation.evidence['lockdownId'])).toEqual(['lck_g', 'lck_g']);
    });
  });

  describe('TENANT_ISOLATION_ENFORCED', () => {
    it('catches another tenant\'s event on this tenant\'s subject, and a decision on another tenant\'s proposal', () => {
      const history = honest();
      const other = new History('ten_b');
      other.decide('prop_b', 'ALLOW');
      const copied = { ...other.events[0]!, height: history.events.length + 1, prevHash: history.events.at(-1)!.hash };
      const mine = new History();
      mine.decide('prop_c', 'ALLOW');
      const smuggled = structuredClone(mine.events[0]!) as LedgerEvent & { data: { proposal: { tenantId: string } } };
      smuggled.data.proposal.tenantId = 'ten_b';

      const { violations } = check([...history.events, { ...copied, hash: hashEvent(copied) }]);
      expect(violations.map((violation) => violation.summary)).toEqual([
        expect.stringContaining('An event of tenant ten_b is on the ledger of tenant ten_a'),
        expect.stringContaining('Tenant ten_a recorded a decision on proposal prop_b of tenant ten_b'),
      ]);

      const decided = check([{ ...smuggled, hash: hashEvent(smuggled) }]).violations;
      expect(found(decided)).toEqual(['TENANT_ISOLATION_ENFORCED/WRONG_TENANT']);
    });

    it('catches an execution and an approval naming another tenant\'s proposal, from the read model\'s owners', () => {
      const history = new History();
      history.add('ProposalApproved', { proposalId: 'prop_b', by: { kind: 'key', id: 'key_1' }, reason: 'x' });
      history.start('prop_b', 'h');
      const state = initialIntegrityState(TENANT);
      expect(referencedProposalIds(state, entriesOf(history.events))).toEqual(['prop_b']);

      const { violations } = check(history.events, { proposalOwners: new Map([['prop_b', 'ten_b']]) });

      expect(found(violations).filter((name) => name.startsWith('TENANT'))).toEqual(['TENANT_ISOLATION_ENFORCED/FOREIGN_PROPOSAL', 'TENANT_ISOLATION_ENFORCED/FOREIGN_PROPOSAL']);
    });
  });

  it('names a finding the same way when a check from the start finds it again', () => {
    const history = new History();
    const denied = history.decide('prop_1', 'DENY');
    history.start('prop_1', denied.hash);
    const first = check(history.events);
    const again = check(history.events, {}, restartIntegrityState(first.state));
    expect(again.violations.map((violation) => violation.key)).toEqual(first.violations.map((violation) => violation.key));
  });

  it('judges an event about a proposal the state does not hold by the fact the adapter kept, and reports what changed', () => {
    const history = new History();
    const decision = history.decide('prop_1', 'ALLOW');
    history.decide('prop_2', 'REQUIRE_HUMAN');
    const first = check(history.events.slice(0, 2));
    expect(first.proposalChanges).toEqual({ prop_1: { stage: 'EXECUTABLE', hash: decision.hash }, prop_2: { stage: 'PENDING_APPROVAL', kernelRun: false } });
    history.start('prop_1', decision.hash);
    history.add('ProposalApproved', { proposalId: 'prop_2', by: { kind: 'key', id: 'k' }, reason: 'ok' });
    const later = withoutProposals(first.state);
    expect(referencedProposalIds(later, entriesOf(history.events.slice(2), 3))).toEqual(['prop_1', 'prop_2']);

    const second = check(history.events.slice(2), { proposals: new Map(Object.entries(first.proposalChanges) as [string, ProposalFact][]) }, later);

    expect(second.violations).toEqual([]);
    expect(second.proposalChanges).toEqual({ prop_1: null, prop_2: { stage: 'EXECUTABLE', hash: history.events.at(-1)!.hash } });
    expect(found(check(history.events.slice(2), {}, later).violations)).toContain('NO_SIDE_EFFECT_WITHOUT_ALLOW/EXECUTION_NOT_ALLOWED');
  });

  it('measures checkpoints read before the events only when the slice that ends the history is checked', () => {
    const history = honest();
    const checkpoints = [{ sequence: 1, checkpoint: history.checkpoint(history.events.length), readBeforeEvents: true }];
    const slice = check(history.events.slice(0, 4), { checkpoints, endOfHistory: false });
    expect(slice.violations).toEqual([]);
    expect(check(history.events.slice(4), {}, slice.state).violations).toEqual([]);
    expect(found(check([], {}, slice.state).violations)).toEqual(['HASH_CHAIN_CONTINUOUS/CHAIN_TRUNCATED']);
  });

  it('ends in the same state with the same findings whether N + M events are checked at once or N then M', () => {
    const history = honest();
    const forged = history.decide('prop_7', 'DENY');
    history.start('prop_7', forged.hash);
    history.add('LockdownEngaged', { lockdownId: 'lck_2', scope: 'tenant', trigger: 'MANUAL', reason: 'r', by: { kind: 'key', id: 'k' }, evidence: {} });
    history.start('prop_6', history.events.find((event) => event.eventId === 'e17')?.hash ?? 'none');
    const entries = entriesOf(history.events);
    const checkpoints = [{ sequence: 1, checkpoint: history.checkpoint(4), readBeforeEvents: true }];
    const input = { checkpointKeys, tokenKeyIds: new Set([TOKEN_KEY]) };

    fc.assert(
      fc.property(fc.integer({ min: 4, max: entries.length }), (split) => {
        const whole = checkIntegrity(initialIntegrityState(TENANT), { ...input, entries, checkpoints });
        const first = checkIntegrity(initialIntegrityState(TENANT), { ...input, entries: entries.slice(0, split), checkpoints });
        const second = checkIntegrity(JSON.parse(JSON.stringify(first.state)) as IntegrityState, { ...input, entries: entries.slice(split) });
        expect(second.state).toEqual(whole.state);
        expect([...first.violations, ...second.violations]).toEqual(whole.violations);
        expect(first.eventsExamined + second.eventsExamined).toBe(whole.eventsExamined);
        // the same with the proposals kept apart, as the monitor keeps them
        const store = new Map(Object.entries(first.proposalChanges).filter((entry): entry is [string, ProposalFact] => entry[1] !== null));
        const apart = checkIntegrity(withoutProposals(first.state), { ...input, entries: entries.slice(split), proposals: store });
        for (const [proposalId, fact] of Object.entries(apart.proposalChanges)) {
          if (fact === null) store.delete(proposalId);
          else store.set(proposalId, fact);
        }
        expect(withoutProposals(apart.state)).toEqual(withoutProposals(whole.state));
        expect(Object.fromEntries(store)).toEqual(whole.state.proposals);
        expect(apart.violations).toEqual(second.violations);
      }),
      { numRuns: 30 },
    );
  });
});
