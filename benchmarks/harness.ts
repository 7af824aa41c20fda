/**
 * What every Halm benchmark shares: contenders measured side by side in the same process,
 * interleaved round by round after a warm-up, so a machine that is busy with other work slows
 * all of them alike and the ratio between them holds; the machine they ran on; the markdown
 * table they print and write to benchmarks/results/<name>.md.
 *
 * Benchmarks are programs, not tests: nothing here asserts a timing.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';

/** benchmarks/, whether this runs from benchmarks/dist or from the sources. */
export const benchmarksDir = resolve(__dirname, __dirname.endsWith('dist') ? '..' : '.');
export const resultsDir = join(benchmarksDir, 'results');

/** One thing being measured: `pass` does `operationsPerPass` operations and returns a checksum of their results. */
export interface Contender {
  name: string;
  operationsPerPass: number;
  pass: () => number;
}

export interface Measurement {
  name: string;
  /** Operations per second of each round, in the order the rounds ran. */
  perSecond: number[];
  /** Median of `perSecond`. */
  medianPerSecond: number;
  /** Mean time of one operation in the median round, in microseconds. */
  medianMicros: number;
  minPerSecond: number;
  maxPerSecond: number;
  /** Operations timed over all rounds. */
  operations: number;
}

export interface MeasureOptions {
  rounds: number;
  /** How long one contender runs in one round. */
  roundMs: number;
  /** How long each contender runs, interleaved, before anything is timed. */
  warmupMs: number;
}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const nowNs = (): bigint => process.hrtime.bigint();

/** Runs `pass` `passes` times; returns the elapsed nanoseconds. The checksum goes to a sink so no engine can skip the work. */
const timePasses = (contender: Contender, passes: number, sink: { value: number }): number => {
  const start = nowNs();
  let checksum = 0;
  for (let index = 0; index < passes; index += 1) checksum += contender.pass();
  const elapsed = Number(nowNs() - start);
  sink.value += checksum;
  return elapsed;
};

/**
 * Warm-up, then `rounds` rounds in which every contender runs for about `roundMs`; the order of
 * the contenders rotates from round to round so none is always first (or always right after
 * a garbage collection left by another).
 */
export const measureInterleaved = (contenders: readonly Contender[], options: MeasureOptions): Measurement[] => {
  const sink = { value: 0 };
  // Warm-up in short interleaved slices, which also tells how many passes fill a round.
  const passesPerRound = contenders.map(() => 1);
  const slices = 4;
  for (let slice = 0; slice < slices; slice += 1) {
    contenders.forEach((contender, index) => {
      const deadline = performance.now() + options.warmupMs / slices;
      let passes = 0;
      let elapsedNs = 0;
      while (performance.now() < deadline) {
        elapsedNs += timePasses(contender, 1, sink);
        passes += 1;
      }
      passesPerRound[index] = Math.max(1, Math.round((passes * options.roundMs * 1e6) / Math.max(elapsedNs, 1)));
    });
  }
  const perSecond: number[][] = contenders.map(() => []);
  for (let round = 0; round < options.rounds; round += 1) {
    for (let offset = 0; offset < contenders.length; offset += 1) {
      const index = (round + offset) % contenders.length;
      const contender = contenders[index] as Contender;
      const passes = passesPerRound[index] as number;
      const elapsedNs = timePasses(contender, passes, sink);
      (perSecond[index] as number[]).push((passes * contender.operationsPerPass * 1e9) / elapsedNs);
    }
  }
  if (Number.isNaN(sink.value)) throw new Error('checksum is NaN');
  return contenders.map((contender, index) => {
    const rounds = perSecond[index] as number[];
    const middle = median(rounds);
    return {
      name: contender.name,
      perSecond: rounds,
      medianPerSecond: middle,
      medianMicros: 1e6 / middle,
      minPerSecond: Math.min(...rounds),
      maxPerSecond: Math.max(...rounds),
      operations: rounds.length * (passesPerRound[index] as number) * contender.operationsPerPass,
    };
  });
};

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  date: string;
  /** 1-minute load average when the run started: how busy the machine was with other work. */
  load: number;
}

export const machine = (): Machine => {
  let cpu = 'unknown CPU';
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) cpu = match[1].trim();
  } catch {
    // not Linux: the CPU stays unknown
  }
  return { cpu, cores: availableParallelism(), node: process.version, date: new Date().toISOString(), load: loadavg()[0] ?? 0 };
};

export const describeMachine = (value: Machine): string =>
  `${value.cpu}, ${value.cores} cores, Node ${value.node}, ${value.date.slice(0, 16).replace('T', ' ')} UTC, load average ${value.load.toFixed(2)} at start`;

/** 1234567.8 → "1,234,568"; small numbers keep `digits` significant digits, without trailing zeros after the point (520 stays 520, 1.50 is 1.5). */
export const formatNumber = (value: number, digits = 3): string => {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 10 ** digits) return Math.round(value).toLocaleString('en-US');
  const text = value.toPrecision(digits);
  // 999.6 to 3 digits is 1.00e+3: rounding carried it to the next power of ten.
  if (text.includes('e') && Math.abs(value) >= 1) return Math.round(value).toLocaleString('en-US');
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
};

export const markdownTable = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
};

/** Prints the report and writes it to benchmarks/results/<name>.md. */
export const publish = (name: string, report: string): string => {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${name}.md`);
  writeFileSync(file, `${report.trimEnd()}\n`);
  process.stdout.write(`${report.trimEnd()}\n\nwritten to ${file}\n`);
  return file;
};

/** `--rounds 20 --round-ms 100 --warmup-ms 2000`, each optional. */
export const measureOptions = (args: readonly string[], defaults: MeasureOptions): MeasureOptions => {
  const value = (flag: string, fallback: number): number => {
    const index = args.indexOf(flag);
    if (index < 0) return fallback;
    const parsed = Number(args[index + 1]);
    if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${flag} needs a whole number of at least 1`);
    return parsed;
  };
  return { rounds: value('--rounds', defaults.rounds), roundMs: value('--round-ms', defaults.roundMs), warmupMs: value('--warmup-ms', defaults.warmupMs) };
};
