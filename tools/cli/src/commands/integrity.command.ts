import { userInfo } from 'node:os';
import { INVARIANT_NAMES, TENANT_ID_PATTERN, topology, type Actor, type IntegrityCheckReply, type IntegrityCheckRequest } from '@halm/contracts';
import { connectNats, LockdownSwitch, RpcClient } from '@halm/messaging';
import { createDataSource, IntegrityReadModel } from '@halm/persistence';

export const INTEGRITY_USAGE = 'usage: ./halm integrity check [--tenant <id>] [--full] [--json] | ./halm integrity status [--json]';

/**
 * Exit codes scripts can rely on. check: 0 the run found no violation, 1 it found at least one
 * (each named), 2 it could not check (no monitor answered, a tenant could not be checked).
 * status: 0 every invariant passes, 1 an incident is open or no check ever ran, 2 cannot tell.
 */
export const INTEGRITY_EXIT = { clean: 0, findings: 1, cannotRun: 2 } as const;

export interface IntegrityArguments {
  verb: 'check' | 'status';
  tenantId: string | undefined;
  full: boolean;
  json: boolean;
}

export interface IntegritySettings {
  natsUrl: string;
  databaseUrl: string;
  namespace: string;
}

// A check of every tenant, or a full one, reads much history; the monitor answers once it is recorded.
const CHECK_TIMEOUT_MS = 600_000;

/** The arguments, or why they are wrong. */
export const parseIntegrityArguments = (args: readonly string[]): IntegrityArguments | string => {
  const [verb, ...rest] = args;
  if (verb !== 'check' && verb !== 'status') return INTEGRITY_USAGE;
  const parsed: IntegrityArguments = { verb, tenantId: undefined, full: false, json: false };
  for (let index = 0; index < rest.length; index += 1) {
    const arg = rest[index]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (name === '--json') parsed.json = true;
    else if (name === '--full' && verb === 'check') parsed.full = true;
    else if (name === '--tenant' && verb === 'check') parsed.tenantId = inline ?? rest[(index += 1)];
    else return `unknown argument ${arg}; ${INTEGRITY_USAGE}`;
  }
  if (parsed.tenantId !== undefined && !TENANT_ID_PATTERN.test(parsed.tenantId)) return '--tenant must be a tenant id (letters, digits, _ and -)';
  return parsed;
};

/** Who asked, for the run's record: the operator at this machine's account. */
const operatorActor = (): Actor => {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no account name (a container without an /etc/passwd entry): the record still says it came from the CLI
  }
  return { kind: 'key', id: `cli:${user}` };
};

/** The report of a check, one line per finding tenant, for people. */
export const describeCheck = (reply: IntegrityCheckReply): string[] => {
  const { run } = reply;
  const failing = run.results.filter((result) => !result.passing).map((result) => result.invariant);
  const lines = [`run ${run.runId}: ${reply.tenants.filter((tenant) => tenant.checked).length} tenant(s), ${run.eventsExamined} new event(s) examined in ${run.durationMs} ms`];
  for (const invariant of INVARIANT_NAMES) lines.push(`  ${failing.includes(invariant) ? 'FAIL' : 'pass'}  ${invariant}`);
  for (const tenant of reply.tenants) {
    if (!tenant.checked) lines.push(`tenant ${tenant.tenantId}: not checked: ${tenant.notes.join('; ')}`);
    const broken = tenant.results.filter((result) => !result.passing).map((result) => result.invariant);
    if (broken.length > 0) lines.push(`tenant ${tenant.tenantId} (height ${tenant.height}): ${broken.join(', ')}; incidents opened: ${tenant.incidentsOpened.join(', ') || 'none new'}`);
    for (const note of tenant.checked ? tenant.notes : []) lines.push(`tenant ${tenant.tenantId}: ${note}`);
  }
  return lines;
};

/** `./halm integrity check`: a run now, through the integrity monitor, recorded like a scheduled one. */
export const integrityCheck = async (settings: IntegritySettings, parsed: IntegrityArguments, log: (line: string) => void, fail: (line: string) => number): Promise<number> => {
  let connection;
  try {
    connection = await connectNats(settings.natsUrl, 'halm-cli', { user: process.env['NATS_USER'] ?? '', password: process.env['NATS_PASSWORD'] ?? '' });
  } catch (error) {
    return fail(`cannot reach NATS: ${(error as Error).message}`);
  }
  try {
    const request: IntegrityCheckRequest = { ...(parsed.tenantId === undefined ? {} : { tenantId: parsed.tenantId }), full: parsed.full, requestedBy: operatorActor() };
    if (process.stderr.isTTY) process.stderr.write(`checking ${parsed.tenantId ?? 'every tenant'}${parsed.full ? ' from the first event' : ''}…\n`);
    let reply: IntegrityCheckReply;
    try {
      reply = await new RpcClient(connection).request<IntegrityCheckRequest, IntegrityCheckReply>(topology(settings.namespace).integrityCheckSubject, request, CHECK_TIMEOUT_MS);
    } catch (error) {
      return fail(`the integrity monitor did not check: ${(error as Error).message}`);
    }
    if (parsed.json) log(JSON.stringify(reply, null, 2));
    else describeCheck(reply).forEach((line) => log(line));
    if (reply.run.results.some((result) => !result.passing)) return INTEGRITY_EXIT.findings;
    return reply.tenants.every((tenant) => tenant.checked) ? INTEGRITY_EXIT.clean : INTEGRITY_EXIT.cannotRun;
  } finally {
    await connection.close();
  }
};

/** What `./halm integrity status` reports: the public endpoint's view, with the open incidents counted per invariant. */
export interface IntegrityStatus {
  lastIntegrityCheck: string | null;
  invariantsPassing: boolean;
  hashChainValid: boolean;
  lockdownActive: boolean | null;
  invariants: { name: string; openIncidents: number }[];
}

/** `./halm integrity status`: from the monitor's record in PostgreSQL and the lockdown bucket; needs no running service. */
export const integrityStatus = async (settings: IntegritySettings, parsed: IntegrityArguments, log: (line: string) => void, fail: (line: string) => number): Promise<number> => {
  let status: IntegrityStatus;
  try {
    const dataSource = await createDataSource(settings.databaseUrl, 2).initialize();
    try {
      const reads = new IntegrityReadModel(dataSource);
      const [latest, open] = await Promise.all([reads.latestRun(), reads.openIncidentCounts()]);
      const checked = latest !== null;
      status = {
        lastIntegrityCheck: latest?.finishedAt.toISOString() ?? null,
        invariantsPassing: checked && open.length === 0,
        hashChainValid: checked && !open.some((count) => count.kind === 'HASH_CHAIN_FAILURE'),
        lockdownActive: await lockdownActive(settings),
        invariants: INVARIANT_NAMES.map((name) => ({ name, openIncidents: open.filter((count) => count.invariant === name).reduce((sum, count) => sum + count.count, 0) })),
      };
    } finally {
      await dataSource.destroy();
    }
  } catch (error) {
    return fail(`cannot read the integrity record: ${(error as Error).message}`);
  }
  if (parsed.json) log(JSON.stringify(status, null, 2));
  else {
    log(status.lastIntegrityCheck === null ? 'no integrity check has run yet' : `last check finished ${status.lastIntegrityCheck}`);
    for (const invariant of status.invariants) log(`  ${invariant.openIncidents > 0 ? 'FAIL' : status.lastIntegrityCheck === null ? '  ? ' : 'pass'}  ${invariant.name}${invariant.openIncidents > 0 ? ` (${invariant.openIncidents} open incident${invariant.openIncidents === 1 ? '' : 's'}: ./halm incidents list)` : ''}`);
    log(`hash chains ${status.hashChainValid ? 'valid' : 'NOT valid'}; lockdown ${status.lockdownActive === null ? 'unknown (NATS not reachable)' : status.lockdownActive ? 'in force (./halm lockdown status)' : 'none'}`);
  }
  return status.invariantsPassing ? INTEGRITY_EXIT.clean : INTEGRITY_EXIT.findings;
};

/** Whether any lockdown is in force; null when the bucket cannot be read. */
const lockdownActive = async (settings: IntegritySettings): Promise<boolean | null> => {
  try {
    const connection = await connectNats(settings.natsUrl, 'halm-cli', { user: process.env['NATS_USER'] ?? '', password: process.env['NATS_PASSWORD'] ?? '' });
    try {
      return (await (await LockdownSwitch.open(connection, topology(settings.namespace))).all()).length > 0;
    } finally {
      await connection.close();
    }
  } catch {
    return null;
  }
};
