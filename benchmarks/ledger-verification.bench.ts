/**
 * Ledger verification: what an offline auditor does with a tenant's export (recompute every
 * event's hash and link with `verifyChain`; rebuild the RFC 9162 Merkle root from the events
 * with the `MerkleAccumulator` and check it against the signed checkpoint) against the floor,
 * bare SHA-256 (node:crypto) over exactly the bytes that verification hashes, precomputed once.
 * Same process, same run, interleaved rounds. docs/performance.md explains what is compared.
 *
 * Before anything is timed, the floor's digests are checked against Halm's (every event hash,
 * every leaf hash, the root), the honest export must verify and a doctored one must not; the
 * run stops with exit code 1 otherwise.
 *
 *   node benchmarks/dist/ledger-verification.bench.js [--events 20000] [--rounds 15] [--round-ms 300] [--warmup-ms 1000] [--quick]
 *   ./halm bench ledger-verification [-- options]
 */
import { createHash } from 'node:crypto';
import type { LedgerEvent } from '@halm/contracts';
import { canonicalEventTexts, EMPTY_HEAD, eventLeafHash, leafHashOfText, MerkleAccumulator, verifyChain, verifyCheckpoint } from '@halm/domain';
import { type Contender, describeMachine, formatNumber, machine, markdownTable, type Measurement, measureInterleaved, measureOptions, publish } from './harness';
import { buildExport, checkSameBytes, type HashedBytes, hashedBytes, type LedgerExport, TENANT } from './ledger-verification/export';

const NAME = 'ledger-verification';
/** Issue 6: verification at least 0.5× bare SHA-256. */
const TARGET_RATIO = 0.5;
const DEFAULT_EVENTS = 20_000;

const eventsOption = (args: readonly string[]): number => {
  const index = args.indexOf('--events');
  if (index < 0) return DEFAULT_EVENTS;
  const parsed = Number(args[index + 1]);
  if (!Number.isInteger(parsed) || parsed < 2) throw new Error('--events needs a whole number of at least 2');
  return parsed;
};

// ---- Halm: the auditor's steps -------------------------------------------------------------

/** The chain: every hash recomputed from the event's RFC 8785 form, every link, height and tenant checked. */
const verifyEventChain = (events: readonly LedgerEvent[]): number => verifyChain(events, EMPTY_HEAD, TENANT).length;

/**
 * The Merkle root: the checkpoint's signature and shape checked with the tenant's public key,
 * then every event's leaf hash appended to a fresh accumulator and the root compared with the
 * checkpoint's. Answers 0 when everything holds.
 */
const verifyAgainstCheckpoint = (file: LedgerExport): number => {
  const checked = verifyCheckpoint(file.checkpoint, file.verifyingKeys);
  if (!checked.ok) return 1;
  const { checkpoint } = checked;
  if (checkpoint.tenantId !== TENANT || checkpoint.treeSize > file.events.length) return 1;
  const accumulator = new MerkleAccumulator();
  for (let index = 0; index < checkpoint.treeSize; index += 1) accumulator.append(eventLeafHash(file.events[index]!));
  return accumulator.root().toString('hex') === checkpoint.rootHash ? 0 : 1;
};

/**
 * Both at once, as an auditor verifies an export: one canonicalization per event gives the
 * text its hash covers and its Merkle leaf (`verifyChain`'s `onSealed`), then the root is
 * compared with the signed checkpoint.
 */
const verifyChainAndCheckpoint = (file: LedgerExport): number => {
  const checked = verifyCheckpoint(file.checkpoint, file.verifyingKeys);
  if (!checked.ok) return 1;
  const { checkpoint } = checked;
  if (checkpoint.tenantId !== TENANT || checkpoint.treeSize > file.events.length) return 1;
  const accumulator = new MerkleAccumulator();
  const breaks = verifyChain(file.events, EMPTY_HEAD, TENANT, (sealed) => {
    if (accumulator.size < checkpoint.treeSize) accumulator.append(leafHashOfText(sealed));
  });
  return breaks.length + (accumulator.root().toString('hex') === checkpoint.rootHash ? 0 : 1);
};

const mustHold = (problems: number, what: string): number => {
  if (problems !== 0) throw new Error(`${what} failed on the honest export`);
  return problems;
};

// ---- The floor: bare SHA-256 over the same bytes -------------------------------------------

/** One digest per buffer, nothing else; the first byte of each digest goes into the checksum so the work cannot be dropped. */
const digestAll = (buffers: readonly Buffer[]): number => {
  let checksum = 0;
  for (let index = 0; index < buffers.length; index += 1) checksum += createHash('sha256').update(buffers[index]!).digest()[0]!;
  return checksum;
};

const totalBytes = (buffers: readonly Buffer[]): number => buffers.reduce((sum, buffer) => sum + buffer.length, 0);

interface Row {
  contender: Contender;
  /** What is hashed (or, for the reference, produced), per pass. */
  bytesPerPass: number;
  what: string;
  /** The row whose events/s this row is divided by; undefined for a floor. */
  floor?: string;
  /** Not a verification, only where the time goes. */
  reference?: boolean;
}

const rows = (file: LedgerExport, bytes: HashedBytes): Row[] => {
  const { events } = file;
  const count = events.length;
  const chainBytes = totalBytes(bytes.chain);
  const merkleBytes = totalBytes(bytes.leaves) + totalBytes(bytes.nodes);
  const meanChain = formatNumber(chainBytes / count);
  const meanLeaf = formatNumber(totalBytes(bytes.leaves) / count);
  const contender = (name: string, pass: () => number): Contender => ({ name, operationsPerPass: count, pass });
  return [
    {
      contender: contender('floor: chain bytes', () => digestAll(bytes.chain)),
      bytesPerPass: chainBytes,
      what: `SHA-256 of each event's RFC 8785 bytes without \`hash\` (mean ${meanChain} B): ${formatNumber(count)} digests`,
    },
    {
      contender: contender('Halm: chain', () => mustHold(verifyEventChain(events), 'verifyChain')),
      bytesPerPass: chainBytes,
      what: '`verifyChain(events)`: canonicalize each event, SHA-256 to hex, compare with `hash`; links, heights, tenant',
      floor: 'floor: chain bytes',
    },
    {
      contender: contender('floor: Merkle bytes', () => digestAll(bytes.leaves) + digestAll(bytes.nodes)),
      bytesPerPass: merkleBytes,
      what: `SHA-256 of each leaf input 0x00 ‖ RFC 8785 bytes with \`hash\` (mean ${meanLeaf} B) and each node input 0x01 ‖ left ‖ right (65 B): ${formatNumber(count + bytes.nodes.length)} digests`,
    },
    {
      contender: contender('Halm: Merkle + checkpoint', () => mustHold(verifyAgainstCheckpoint(file), 'the Merkle root against the checkpoint')),
      bytesPerPass: merkleBytes,
      what: '`verifyCheckpoint` (one Ed25519 verify), `eventLeafHash` of each event into a `MerkleAccumulator`, root compared with the checkpoint',
      floor: 'floor: Merkle bytes',
    },
    {
      contender: contender('floor: all bytes', () => digestAll(bytes.chain) + digestAll(bytes.leaves) + digestAll(bytes.nodes)),
      bytesPerPass: chainBytes + merkleBytes,
      what: `both of the above: ${formatNumber(2 * count + bytes.nodes.length)} digests`,
    },
    {
      contender: contender('Halm: chain + Merkle + checkpoint', () => mustHold(verifyChainAndCheckpoint(file), 'the whole verification')),
      bytesPerPass: chainBytes + merkleBytes,
      what: 'both of the above in one pass, as an offline auditor checks an export: one RFC 8785 canonicalization per event gives the hashed text and the Merkle leaf',
      floor: 'floor: all bytes',
    },
    {
      contender: contender('reference: RFC 8785 alone', () => {
        let length = 0;
        for (let index = 0; index < count; index += 1) {
          const texts = canonicalEventTexts(events[index]!);
          length += texts.unsealed.length + texts.sealed.length;
        }
        return length;
      }),
      bytesPerPass: chainBytes + totalBytes(bytes.leaves) - count,
      what: 'not a verification: only the canonicalization the whole verification makes (`canonicalEventTexts`: both texts from one pass), no hashing; MB/s of text produced',
      floor: 'floor: all bytes',
      reference: true,
    },
  ];
};

/** The verifier must also catch a doctored export; checked once before timing so the timed code is known to look. */
const catchesTampering = (file: LedgerExport): boolean => {
  const middle = file.events.length >> 1;
  const doctored = structuredClone(file.events[middle]!) as LedgerEvent & { data: { decision: { reasons: string[] } } };
  doctored.data.decision.reasons = [...doctored.data.decision.reasons, 'approved by nobody'];
  const events = [...file.events];
  events[middle] = doctored;
  const breaks = verifyChain(events, EMPTY_HEAD, TENANT);
  const chainCaught = breaks.length === 1 && breaks[0]?.problem === 'HASH_MISMATCH' && breaks[0].height === doctored.height;
  const merkleCaught = verifyAgainstCheckpoint({ ...file, events }) !== 0;
  return chainCaught && merkleCaught;
};

const main = (): number => {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const options = measureOptions(args, quick ? { rounds: 5, roundMs: 100, warmupMs: 300 } : { rounds: 15, roundMs: 300, warmupMs: 1_000 });
  const count = eventsOption(args);
  const started = machine();

  // 1. The export and the floor's bytes, built once; the floor checked against Halm's hashes.
  process.stdout.write(`ledger-verification: building ${formatNumber(count)} DecisionRecorded events…\n`);
  const file = buildExport(count);
  const bytes = hashedBytes(file.events);
  const mismatch = checkSameBytes(file, bytes);
  if (mismatch) {
    process.stderr.write(`ledger-verification: nothing was timed: ${mismatch}\n`);
    return 1;
  }
  if (verifyEventChain(file.events) !== 0 || verifyAgainstCheckpoint(file) !== 0 || !catchesTampering(file)) {
    process.stderr.write('ledger-verification: nothing was timed: the honest export does not verify, or a doctored one does\n');
    return 1;
  }
  const exportBytes = Buffer.byteLength(JSON.stringify(file.events));
  process.stdout.write(
    `ledger-verification: the floor's digests equal every event hash, leaf hash and the checkpoint's root; the honest export verifies and a doctored one does not\n` +
      `ledger-verification: ${options.rounds} rounds of ${options.roundMs} ms per contender after ${options.warmupMs} ms of warm-up each…\n`,
  );

  // 2. Every contender interleaved.
  const table = rows(file, bytes);
  const results = measureInterleaved(
    table.map((row) => row.contender),
    options,
  );
  const byName = new Map(results.map((result) => [result.name, result]));
  const ratioOf = (row: Row, result: Measurement): number => (row.floor ? result.medianPerSecond / byName.get(row.floor)!.medianPerSecond : 1);
  const megabytesPerSecond = (row: Row, perSecond: number): string => formatNumber((row.bytesPerPass / count) * perSecond / 1e6);
  const full = table.findIndex((row) => row.contender.name === 'Halm: chain + Merkle + checkpoint');
  const chainOnly = table.findIndex((row) => row.contender.name === 'Halm: chain');
  const merkleOnly = table.findIndex((row) => row.contender.name === 'Halm: Merkle + checkpoint');
  const ratio = ratioOf(table[full]!, results[full]!);

  const report = [
    '## Ledger verification: Halm vs bare SHA-256',
    '',
    `An export of one tenant: ${formatNumber(count)} DecisionRecorded events chained as the ledger records them (the proposal and \`evaluate\`'s decision with the default manifest, ` +
      `cycling through the 12 requests of the policy-evaluation mix; ${formatNumber(exportBytes / count)} B of JSON per event), stored as their canonical text as the ledger stores them and read back from JSON, and a checkpoint over all of them signed with Ed25519. ` +
      'Each floor is bare `createHash("sha256").update(bytes).digest()` over exactly the bytes the Halm row below it hashes, precomputed once; before timing, the floor\'s digests were checked to equal every event hash, every leaf hash and the root. ' +
      `An operation is one event verified; MB/s is the bytes SHA-256 consumes (10^6 B). Same process, ${options.rounds} interleaved rounds of ${options.roundMs} ms per contender after ${options.warmupMs} ms of warm-up.`,
    '',
    markdownTable(
      ['what', 'work', 'events/s (median)', 'MB/s (median)', 'µs per event (median)', 'rounds, events/s (min–max)', 'events/s ÷ its floor'],
      table.map((row, index) => {
        const result = results[index]!;
        return [
          row.contender.name,
          row.what,
          formatNumber(result.medianPerSecond),
          megabytesPerSecond(row, result.medianPerSecond),
          formatNumber(result.medianMicros, 3),
          `${formatNumber(result.minPerSecond)}–${formatNumber(result.maxPerSecond)}`,
          !row.floor ? '1 (floor)' : row.reference ? `${formatNumber(ratioOf(row, result), 2)}× (of ${row.floor})` : `${formatNumber(ratioOf(row, result), 2)}×`,
        ];
      }),
    ),
    '',
    `**Verification ÷ bare SHA-256: ${formatNumber(ratio, 2)}×** (chain + Merkle + checkpoint against the floor of all bytes; ` +
      `chain alone ${formatNumber(ratioOf(table[chainOnly]!, results[chainOnly]!), 2)}×, Merkle + checkpoint alone ${formatNumber(ratioOf(table[merkleOnly]!, results[merkleOnly]!), 2)}×); ` +
      `target at least ${TARGET_RATIO}×: ${ratio >= TARGET_RATIO ? 'met' : '**missed**'}.`,
    '',
    `Machine: ${describeMachine(started)}.`,
  ].join('\n');
  publish(NAME, report);
  return 0;
};

process.exitCode = main();
