import { readFileSync } from 'node:fs';
import { TENANT_ID_PATTERN } from '@halm/contracts';
import { compileManifest, DecisionReplay, WhatIfReplay, type DecisionReplayResult, type HeightRange, type ReplayDifference, type WhatIfChange } from '@halm/domain';
import { foldHistory, openTenantHistory } from './ledger-history';

export const REPLAY_USAGE = 'usage: ./halm replay <tenantId> [--from <height>] [--to <height>] [--json] | ./halm replay --file <export.json> [--from …] [--to …] [--json]';
export const WHAT_IF_USAGE = 'usage: ./halm what-if <tenantId> <manifest.yaml> [--from <height>] [--to <height>] [--json] | ./halm what-if --file <export.json> <manifest.yaml> […]';

/**
 * Exit codes scripts can rely on. replay: 0 every decision PASS, 1 at least one FAIL, 3 no FAIL
 * but at least one UNKNOWN (a snapshot is missing: nothing wrong was found, nothing could be
 * proven either). what-if: 0 no decision would change, 1 some would. Both: 2 when they cannot
 * run (bad arguments, no such tenant, NATS or the file unreadable, a candidate that does not compile).
 */
export const REPLAY_EXIT = { clean: 0, findings: 1, cannotRun: 2, unknownOnly: 3 } as const;

export interface ReplayArguments extends HeightRange {
  tenantId?: string;
  file?: string;
  /** what-if only: the candidate manifest's file. */
  manifestFile?: string;
  json: boolean;
}

export interface ReplaySettings {
  natsUrl: string;
  namespace: string;
}

const HEIGHT = /^[1-9]\d{0,9}$/;

/** The arguments of `replay` or `what-if`, or why they are wrong. */
export const parseReplayArguments = (command: 'replay' | 'what-if', args: readonly string[]): ReplayArguments | string => {
  const usage = command === 'replay' ? REPLAY_USAGE : WHAT_IF_USAGE;
  const parsed: ReplayArguments = { json: false };
  const positional: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? args[(index += 1)];
    if (name === '--json') parsed.json = true;
    else if (name === '--file') parsed.file = value();
    else if (name === '--from' || name === '--to') {
      const text = value();
      if (text === undefined || !HEIGHT.test(text)) return `${name} needs a height: a whole number from 1`;
      parsed[name === '--from' ? 'fromHeight' : 'toHeight'] = Number(text);
    } else if (name.startsWith('--')) return `unknown option ${arg}; ${usage}`;
    else positional.push(arg);
  }
  if (parsed.file === '') return `--file needs a file; ${usage}`;
  const wanted = (command === 'what-if' ? 1 : 0) + (parsed.file === undefined ? 1 : 0);
  // With --file the tenant id may still be given, as a check that the file holds that tenant.
  if (positional.length !== wanted && positional.length !== wanted + (parsed.file === undefined ? 0 : 1)) return usage;
  if (command === 'what-if') parsed.manifestFile = positional.pop();
  parsed.tenantId = positional[0];
  if (parsed.tenantId !== undefined && !TENANT_ID_PATTERN.test(parsed.tenantId)) return 'the tenant id must be letters, digits, _ and -';
  if (parsed.fromHeight !== undefined && parsed.toHeight !== undefined && parsed.toHeight < parsed.fromHeight) return '--to must be at least --from';
  return parsed;
};

const show = (value: unknown): string => (value === undefined ? '(absent)' : JSON.stringify(value));
const differenceLine = (difference: ReplayDifference): string => `    ${difference.field}: recorded ${show(difference.recorded)}, replayed ${show(difference.replayed)}`;
const resultLines = (result: DecisionReplayResult): string[] => [`${result.verdict} ${result.proposalId} at height ${result.height}: ${result.reason ?? ''}`, ...result.differences.map(differenceLine)];
const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
const rangeText = (range: HeightRange, last: number) => `heights ${range.fromHeight ?? 1} to ${Math.min(range.toHeight ?? last, last)}`;

/**
 * `./halm replay`: every decision of the tenant's ledger (or of an export file) re-evaluated
 * with the policy snapshot it names on the state it read, read straight from the ledger stream
 * over NATS as export does. Prints each FAIL and UNKNOWN with its fields, or the whole report
 * with --json (the shape of POST /api/audit/replay).
 */
export const replay = async (settings: ReplaySettings, parsed: ReplayArguments, log: (line: string) => void, fail: (line: string) => number): Promise<number> => {
  const history = await openTenantHistory({ ...settings, ...parsed });
  if (typeof history === 'string') return fail(history);
  history.warnings.forEach((warning) => process.stderr.write(`halm replay: warning: ${warning}\n`));
  const replaying = new DecisionReplay(parsed);
  await foldHistory(history, 'replaying', parsed.json, (event) => replaying.apply(event));
  const report = replaying.report();
  const { summary } = report;
  if (parsed.json) log(JSON.stringify(report, null, 2));
  else {
    log(`tenant ${history.tenantId}, ${rangeText(parsed, history.total)}: ${plural(summary.total, 'decision')} replayed, ${summary.pass} PASS, ${summary.fail} FAIL, ${summary.unknown} UNKNOWN`);
    report.results.filter((result) => result.verdict !== 'PASS').forEach((result) => resultLines(result).forEach((line) => log(line)));
  }
  return summary.fail > 0 ? REPLAY_EXIT.findings : summary.unknown > 0 ? REPLAY_EXIT.unknownOnly : REPLAY_EXIT.clean;
};

const outcomeText = (outcome: WhatIfChange['recorded']) => `${outcome.status}: ${outcome.reasons.join('; ') || '(no reasons)'}${Object.keys(outcome.constraints).length > 0 ? ` ${JSON.stringify(outcome.constraints)}` : ''}`;

/**
 * `./halm what-if`: the tenant's decisions decided again by a candidate manifest (YAML or JSON
 * file, compiled as POST /api/policies compiles it), listing those that would change.
 */
export const whatIf = async (settings: ReplaySettings, parsed: ReplayArguments, log: (line: string) => void, fail: (line: string) => number): Promise<number> => {
  let source: string;
  try {
    source = readFileSync(parsed.manifestFile!, 'utf8');
  } catch (error) {
    return fail(`cannot read ${parsed.manifestFile}: ${(error as Error).message}`);
  }
  const compilation = compileManifest(source);
  if (!compilation.ok) {
    const lines = compilation.errors.map((error) => `  ${error.path || '(source)'}: ${error.message}${error.line !== undefined ? ` (line ${error.line}, column ${error.column})` : ''}`);
    return fail(`${parsed.manifestFile} does not compile:\n${lines.join('\n')}`);
  }
  const history = await openTenantHistory({ ...settings, ...parsed });
  if (typeof history === 'string') return fail(history);
  history.warnings.forEach((warning) => process.stderr.write(`halm what-if: warning: ${warning}\n`));
  const deciding = new WhatIfReplay(compilation.manifest, parsed);
  await foldHistory(history, 'deciding again', parsed.json, (event) => deciding.apply(event));
  const report = deciding.report();
  if (parsed.json) log(JSON.stringify(report, null, 2));
  else {
    log(
      `tenant ${history.tenantId}, ${rangeText(parsed, history.total)}: ${plural(report.summary.examined, 'decision')} decided again with ${parsed.manifestFile} (hash ${compilation.manifest.hash.slice(0, 12)}…): ${report.summary.changed} would change`,
    );
    for (const change of report.changes) {
      log(`${change.proposalId} at height ${change.height} (${change.type}): ${change.recorded.status} → ${change.candidate.status}`);
      log(`    recorded  ${outcomeText(change.recorded)}`);
      log(`    candidate ${outcomeText(change.candidate)}`);
    }
  }
  return report.summary.changed > 0 ? REPLAY_EXIT.findings : REPLAY_EXIT.clean;
};
