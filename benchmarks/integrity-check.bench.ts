/**
 * The integrity monitor's incremental check: what it costs to check the 1,000 events a tenant
 * recorded since the last check on top of a history of 1,000,000, against checking the whole
 * history again from the first event (what a monitor without a stored state would do every
 * time). Both are the monitor's own code path without its I/O: the stored state is parsed from
 * its JSON, the events from the JSON text JetStream holds, `checkIntegrity` examines them
 * against the six invariants and the signed checkpoints, and the new state is serialised
 * again. Same process, interleaved rounds.
 *
 * Before anything is timed the honest history must pass, the state after N + M events must be
 * the state after N then M, and a doctored event among the new ones must be caught; the run
 * stops with exit code 1 otherwise.
 *
 *   node benchmarks/dist/integrity-check.bench.js [--events 1000000] [--new 1000] [--rounds 3] [--quick]
 *   ./halm bench integrity-check [-- options]
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { LedgerEvent, LedgerEventType } from '@halm/contracts';
import {
  chain,
  checkIntegrity,
  EMPTY_HEAD,
  eventLeafHash,
  headOf,
  initialIntegrityState,
  MerkleAccumulator,
  publicKeyId,
  referencedProposalIds,
  withoutProposals,
  type ProposalFact,
  publicKeyOf,
  sha256Hex,
  signCheckpoint,
  verifyingKeysFrom,
  type ChainHead,
  type IntegrityState,
  type MonitoredCheckpoint,
  type MonitoredEntry,
} from '@halm/domain';
import { describeMachine, formatNumber, machine, markdownTable, median, publish } from './harness';

const NAME = 'integrity-check';

const TENANT = 'ten_3f2a9c1b7d4e5f60';
const CHECKPOINT_EVERY = 10_000;
// The full re-check reads the history in slices, as the monitor's reader does, so the parsed events of a million never sit in memory at once.
const SLICE = 10_000;
// The incremental checks of a round run in this many bursts spread over the full re-check.
const BURSTS = 10;
const START_MS = Date.parse('2026-01-01T00:00:00.000Z');

const option = (args: readonly string[], flag: string, fallback: number, min: number): number => {
  const index = args.indexOf(flag);
  if (index < 0) return fallback;
  const parsed = Number(args[index + 1]);
  if (!Number.isInteger(parsed) || parsed < min) throw new Error(`${flag} needs a whole number of at least ${min}`);
  return parsed;
};

interface History {
  count: number;
  /** An event's JSON text, as the ledger stream holds it. */
  text: (index: number) => string;
  checkpoints: MonitoredCheckpoint[];
  checkpointKeys: ReadonlyMap<string, KeyObject>;
  tokenKeyIds: ReadonlySet<string>;
  bytes: number;
}

/**
 * A valid tenant history of `count` events, built as the ledger records them, in a cycle of
 * six: an ALLOW decision, its execution's start and end, a REQUIRE_HUMAN decision and its
 * approval, a DENY decision; a signed checkpoint every CHECKPOINT_EVERY events and one at the end.
 */
const buildHistory = (count: number): History => {
  const ledgerKey = generateKeyPairSync('ed25519');
  const keyId = publicKeyId(publicKeyOf(ledgerKey.privateKey));
  const tokenKeyId = sha256Hex(publicKeyOf(generateKeyPairSync('ed25519').privateKey)).slice(0, 16);
  let texts: string[] = [];
  const checkpoints: MonitoredCheckpoint[] = [];
  const tree = new MerkleAccumulator();
  let head: ChainHead = EMPTY_HEAD;
  let bytes = 0;
  let allowHash = '';
  const add = (type: LedgerEventType, eventId: string, data: unknown): LedgerEvent => {
    const recordedAt = new Date(START_MS + texts.length * 1000).toISOString();
    const event = chain(head, { tenantId: TENANT, eventId, type, recordedAt, data });
    const text = JSON.stringify(event);
    texts.push(text);
    bytes += Buffer.byteLength(text);
    tree.append(eventLeafHash(event));
    head = headOf(event);
    if (tree.size % CHECKPOINT_EVERY === 0 || tree.size === count) {
      const checkpoint = signCheckpoint({ tenantId: TENANT, treeSize: tree.size, rootHash: tree.root().toString('hex'), issuedAt: recordedAt }, ledgerKey.privateKey, keyId);
      checkpoints.push({ sequence: checkpoints.length + 1, checkpoint, readBeforeEvents: true });
    }
    return event;
  };
  const decision = (proposalId: string, status: string, index: number) => ({
    proposal: { proposalId, tenantId: TENANT, type: 'task:create', payload: { title: `Follow up ${index}` }, context: { confidenceScore: 0.92, agentId: 'agent_support' }, submittedAt: new Date(START_MS + index * 1000).toISOString() },
    decision: {
      proposalId,
      status,
      allowed: status === 'ALLOW',
      reasons: ['Action complies with active policy manifest'],
      constraints: {},
      vetoDeadline: null,
      humanApprovalRequired: status === 'REQUIRE_HUMAN',
      decidedAt: new Date(START_MS + index * 1000).toISOString(),
      policy: { version: 1, hash: 'a'.repeat(64) },
      matchedRules: ['allow-confident'],
      stateRead: { lockdown: false },
    },
  });
  for (let cycle = 0; texts.length < count; cycle += 1) {
    const steps: (() => void)[] = [
      () => (allowHash = add('DecisionRecorded', `prop_a${cycle}.decision`, decision(`prop_a${cycle}`, 'ALLOW', texts.length)).hash),
      () =>
        add('ExecutionStarted', `exe_${cycle}.started`, {
          executionId: `exe_${cycle}`,
          proposalId: `prop_a${cycle}`,
          idempotencyKey: `order-${cycle}`,
          actionType: 'task:create',
          actionDigest: 'b'.repeat(64),
          decisionHash: allowHash,
          tokenId: `jti_${cycle}`,
          tokenKeyId,
          performer: 'agent',
          connector: null,
          executorId: 'executor-1',
          requestedBy: { kind: 'key', id: 'key_agent' },
        }),
      () => add('ExecutionCompleted', `exe_${cycle}.completed`, { executionId: `exe_${cycle}`, proposalId: `prop_a${cycle}`, decisionHash: allowHash, outcome: 'SUCCEEDED', result: {}, by: { kind: 'key', id: 'key_agent' } }),
      () => add('DecisionRecorded', `prop_h${cycle}.decision`, decision(`prop_h${cycle}`, 'REQUIRE_HUMAN', texts.length)),
      () => add('ProposalApproved', `prop_h${cycle}.approved`, { proposalId: `prop_h${cycle}`, by: { kind: 'key', id: 'key_approver' }, reason: 'checked' }),
      () => add('DecisionRecorded', `prop_d${cycle}.decision`, decision(`prop_d${cycle}`, 'DENY', texts.length)),
    ];
    for (const step of steps) if (texts.length < count) step();
  }
  // Packed into one buffer, as bytes stand in a stream: a million strings on the heap would make every garbage collection of the checks pay for them.
  const packed = Buffer.allocUnsafe(bytes);
  const offsets = new Float64Array(count + 1);
  texts.forEach((text, index) => (offsets[index + 1] = offsets[index]! + packed.write(text, offsets[index]!, 'utf8')));
  texts = [];
  return {
    count,
    text: (index) => packed.toString('utf8', offsets[index], offsets[index + 1]),
    checkpoints,
    checkpointKeys: verifyingKeysFrom([publicKeyOf(ledgerKey.privateKey)]),
    tokenKeyIds: new Set([tokenKeyId]),
    bytes,
  };
};

const entriesOf = (history: History, from: number, to: number): MonitoredEntry[] => {
  const entries: MonitoredEntry[] = [];
  for (let index = from; index < to; index += 1) entries.push({ sequence: index + 1, event: JSON.parse(history.text(index)) as unknown });
  return entries;
};

const checkpointsWithin = (history: History, from: number, to: number) =>
  history.checkpoints.filter((entry) => {
    const size = (entry.checkpoint as { treeSize: number }).treeSize;
    return size > from && size <= to;
  });

type Facts = Map<string, ProposalFact>;

/** The monitor's lookup of the proposal facts the entries name, here from a Map standing in for its indexed table. */
const factsFor = (state: IntegrityState, entries: readonly MonitoredEntry[], store: ReadonlyMap<string, ProposalFact>): Facts => {
  const found: Facts = new Map();
  for (const proposalId of referencedProposalIds(state, entries)) {
    const fact = store.get(proposalId);
    if (fact) found.set(proposalId, fact);
  }
  return found;
};

const applyChanges = (store: Facts, changes: Record<string, ProposalFact | null>): void => {
  for (const [proposalId, fact] of Object.entries(changes)) {
    if (fact === null) store.delete(proposalId);
    else store.set(proposalId, fact);
  }
};

/**
 * The check a monitor with a stored state does: the state from its JSON, the facts of the
 * proposals the new events name from the store, the new events from their JSON, the new state
 * to JSON (the changed facts are what it writes back).
 */
const incrementalCheck = (history: History, stateJson: string, store: ReadonlyMap<string, ProposalFact>, from: number) => {
  const state = JSON.parse(stateJson) as IntegrityState;
  const entries = entriesOf(history, from, history.count);
  const outcome = checkIntegrity(state, {
    entries,
    checkpoints: checkpointsWithin(history, from, history.count),
    checkpointKeys: history.checkpointKeys,
    tokenKeyIds: history.tokenKeyIds,
    proposals: factsFor(state, entries, store),
  });
  return { violations: outcome.violations.length, stateJson: JSON.stringify(withoutProposals(outcome.state)), changes: outcome.proposalChanges };
};

/**
 * The check without a stored state: every event from the first, slice by slice, the proposal
 * facts kept in memory as the monitor does then. `between` runs after each slice, outside the
 * time measured (`ms` counts the slices only).
 */
const fullCheck = (history: History, to: number, between: () => void = () => undefined): { violations: number; state: IntegrityState; facts: Facts; ms: number } => {
  let state = initialIntegrityState(TENANT);
  const facts: Facts = new Map();
  let violations = 0;
  let ms = 0;
  for (let from = 0; from < to; from += SLICE) {
    const started = process.hrtime.bigint();
    const end = Math.min(to, from + SLICE);
    const entries = entriesOf(history, from, end);
    const outcome = checkIntegrity(state, {
      entries,
      checkpoints: checkpointsWithin(history, from, end),
      checkpointKeys: history.checkpointKeys,
      tokenKeyIds: history.tokenKeyIds,
      proposals: factsFor(state, entries, facts),
      endOfHistory: end === to,
    });
    state = withoutProposals(outcome.state);
    applyChanges(facts, outcome.proposalChanges);
    violations += outcome.violations.length;
    ms += Number(process.hrtime.bigint() - started) / 1e6;
    between();
  }
  return { violations, state, facts, ms };
};

const timed = <T>(work: () => T): { value: T; ms: number } => {
  const started = process.hrtime.bigint();
  const value = work();
  return { value, ms: Number(process.hrtime.bigint() - started) / 1e6 };
};

const main = (): number => {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const history = option(args, '--events', quick ? 100_000 : 1_000_000, 1);
  const added = option(args, '--new', 1_000, 1);
  const rounds = option(args, '--rounds', quick ? 1 : 3, 1);
  const incrementalRuns = option(args, '--incremental-runs', quick ? 20 : 100, 1);
  const total = history + added;
  const started = machine();

  process.stdout.write(`${NAME}: building a valid history of ${formatNumber(total)} events with a signed checkpoint every ${formatNumber(CHECKPOINT_EVERY)}…\n`);
  const built = timed(() => buildHistory(total));
  const data = built.value;

  // 1. The state a monitor stores after checking the first `history` events, and the gates.
  process.stdout.write(`${NAME}: built in ${formatNumber(built.ms / 1000)} s; checking the first ${formatNumber(history)} to get the stored state…\n`);
  const prefix = fullCheck(data, history);
  const stateJson = JSON.stringify(prefix.state);
  const store = prefix.facts;
  const whole = fullCheck(data, total);
  const incremental = incrementalCheck(data, stateJson, store, history);
  const storeAfter = new Map(store);
  applyChanges(storeAfter, incremental.changes);
  const victim = JSON.parse(data.text(total - 2)) as LedgerEvent & { data: Record<string, unknown> };
  const doctoredText = JSON.stringify({ ...victim, data: { ...victim.data, reason: 'approved by nobody' } });
  const doctored: History = { ...data, text: (index) => (index === total - 2 ? doctoredText : data.text(index)) };
  const caught = incrementalCheck(doctored, stateJson, store, history);
  const problems = [
    prefix.violations !== 0 || whole.violations !== 0 ? 'the honest history does not pass' : null,
    incremental.violations !== 0 ? 'the incremental check of the honest new events does not pass' : null,
    incremental.stateJson !== JSON.stringify(whole.state) || JSON.stringify([...storeAfter].sort()) !== JSON.stringify([...whole.facts].sort())
      ? 'the state after N then M is not the state after N + M'
      : null,
    caught.violations === 0 ? 'a doctored new event was not caught' : null,
  ].filter(Boolean);
  if (problems.length > 0) {
    process.stderr.write(`${NAME}: nothing was timed: ${problems.join('; ')}\n`);
    return 1;
  }
  process.stdout.write(
    `${NAME}: the history passes, N then M ends in the state of N + M, a doctored new event is caught; ${rounds} round(s) of one full re-check with ${incrementalRuns} incremental checks between its slices…\n`,
  );

  // 2. Interleaved: after every tenth of the full re-check's slices, a burst of incremental checks, so both run under the same load.
  const slices = Math.ceil(total / SLICE);
  const bursts = Math.min(BURSTS, slices);
  const every = Math.max(1, Math.floor(slices / bursts));
  const perBurst = Math.max(1, Math.ceil(incrementalRuns / bursts));
  const fullMs: number[] = [];
  const incrementalMs: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    let slice = 0;
    const before = incrementalMs.length;
    const { ms } = fullCheck(data, total, () => {
      slice += 1;
      if (slice % every !== 0) return;
      for (let run = 0; run < perBurst && incrementalMs.length - before < incrementalRuns; run += 1) incrementalMs.push(timed(() => incrementalCheck(data, stateJson, store, history)).ms);
    });
    fullMs.push(ms);
    process.stdout.write(`${NAME}: round ${round + 1}: full ${formatNumber(ms / 1000)} s, incremental ${formatNumber(median(incrementalMs.slice(before)))} ms (median of ${incrementalMs.length - before})\n`);
  }
  const full = median(fullMs);
  const increment = median(incrementalMs);
  const ratio = full / increment;
  const perEvent = (ms: number, events: number) => formatNumber((ms * 1000) / events);

  const report = [
    '## Integrity check: incremental vs from the first event',
    '',
    `One tenant's history of ${formatNumber(total)} valid events built with \`chain()\` (a cycle of six: an ALLOW decision, its ExecutionStarted and ExecutionCompleted, a REQUIRE_HUMAN decision and its approval, a DENY decision; ` +
      `${formatNumber(data.bytes / total)} B of JSON per event, ${formatNumber(data.bytes / 1e6)} MB in all) with an Ed25519-signed checkpoint every ${formatNumber(CHECKPOINT_EVERY)} events and one at the end. ` +
      `**Incremental**: the state a monitor stored after checking the first ${formatNumber(history)} events (${formatNumber(stateJson.length)} B of JSON) is parsed, the facts of the proposals the new events name are looked up (a Map standing in for the indexed table that holds the ${formatNumber(store.size)} proposals still open or executable), ` +
      `the ${formatNumber(added)} new events are decoded and parsed from their JSON bytes and checked against the six invariants and the last checkpoint, and the new state is serialised. ` +
      `**Full re-check**: the same code from the initial state over all ${formatNumber(total)} events and every checkpoint (in slices of ${formatNumber(SLICE)}, as the monitor reads a long history). ` +
      'Both without I/O (the monitor reads the same bytes from JetStream and writes the state to PostgreSQL); the history is kept packed in one buffer, as bytes in a stream, so that a million strings on the heap do not burden either check\'s garbage collection. ' +
      `Before timing, the honest history passed, the state after N then M equalled the state after N + M, and a doctored event among the new ones was caught. Same process, ${rounds} round(s) of one full re-check with ${incrementalRuns} incremental checks run between its slices in ${BURSTS} bursts (not counted in its time), so that both meet the same load.`,
    '',
    markdownTable(
      ['check', 'events examined', 'time (median)', 'µs per event examined', 'rounds (min–max)'],
      [
        ['incremental', formatNumber(added), `${formatNumber(increment)} ms`, perEvent(increment, added), `${formatNumber(Math.min(...incrementalMs))}–${formatNumber(Math.max(...incrementalMs))} ms`],
        ['full re-check', formatNumber(total), `${formatNumber(full / 1000)} s`, perEvent(full, total), `${formatNumber(Math.min(...fullMs) / 1000)}–${formatNumber(Math.max(...fullMs) / 1000)} s`],
      ],
    ),
    '',
    `**Full re-check ÷ incremental: ${formatNumber(ratio)}×** for ${formatNumber(added)} new events on top of ${formatNumber(history)} (the events ratio is ${formatNumber(total / added)}×): ` +
      'the incremental check costs what its new events cost, and the stored state it starts from does not grow with the history.',
    '',
    `Machine: ${describeMachine(started)}.`,
  ].join('\n');
  publish(NAME, report);
  return 0;
};

process.exitCode = main();
