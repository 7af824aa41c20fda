import { userInfo } from 'node:os';
import { INCIDENT_STATUSES, TENANT_ID_PATTERN, type IncidentStatus, type IncidentView } from '@halm/contracts';
import { createDataSource, IntegrityReadModel, IntegrityStore } from '@halm/persistence';

export const INCIDENTS_USAGE =
  'usage: ./halm incidents list [--tenant <id>] [--status OPEN|RESOLVED] [--limit <n>] [--json] | ./halm incidents show <incidentId> [--json] | ./halm incidents resolve <incidentId> --reason <text>';

/**
 * Exit codes scripts can rely on. list: 0 none of those listed is open, 1 some are, 2 cannot
 * read. show: 0 found, 1 no such incident, 2 cannot read. resolve: 0 resolved, 1 no such open
 * incident, 2 cannot write.
 */
export const INCIDENTS_EXIT = { clean: 0, findings: 1, cannotRun: 2 } as const;

export type IncidentsArguments =
  | { verb: 'list'; tenantId: string | undefined; status: IncidentStatus | undefined; limit: number; json: boolean }
  | { verb: 'show'; incidentId: string; json: boolean }
  | { verb: 'resolve'; incidentId: string; reason: string; json: boolean };

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1_000;

/** The arguments, or why they are wrong. */
export const parseIncidentsArguments = (args: readonly string[]): IncidentsArguments | string => {
  const [verb, ...rest] = args;
  if (verb !== 'list' && verb !== 'show' && verb !== 'resolve') return INCIDENTS_USAGE;
  let tenantId: string | undefined;
  let reason: string | undefined;
  let status: string | undefined;
  let limit = DEFAULT_LIMIT;
  let json = false;
  const positional: string[] = [];
  for (let index = 0; index < rest.length; index += 1) {
    const arg = rest[index]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? rest[(index += 1)];
    if (name === '--json') json = true;
    else if (verb === 'list' && name === '--tenant') tenantId = value();
    else if (verb === 'list' && name === '--status') status = value();
    else if (verb === 'resolve' && name === '--reason') reason = value();
    else if (verb === 'list' && name === '--limit') {
      const text = value() ?? '';
      if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > MAX_LIMIT) return `--limit needs a whole number from 1 to ${MAX_LIMIT}`;
      limit = Number(text);
    } else if (name.startsWith('--')) return `unknown option ${arg}; ${INCIDENTS_USAGE}`;
    else positional.push(arg);
  }
  if (verb === 'show') return positional.length === 1 ? { verb, incidentId: positional[0]!, json } : INCIDENTS_USAGE;
  if (verb === 'resolve') {
    if (positional.length !== 1) return INCIDENTS_USAGE;
    if (reason === undefined || reason.trim() === '') return 'resolve needs --reason <text>: what was found and done';
    return { verb, incidentId: positional[0]!, reason, json };
  }
  if (positional.length > 0) return INCIDENTS_USAGE;
  if (tenantId !== undefined && !TENANT_ID_PATTERN.test(tenantId)) return '--tenant must be a tenant id (letters, digits, _ and -)';
  if (status !== undefined && !(INCIDENT_STATUSES as readonly string[]).includes(status)) return `--status must be one of ${INCIDENT_STATUSES.join(', ')}`;
  return { verb, tenantId, status: status as IncidentStatus | undefined, limit, json };
};

/** Who resolves, for the record: the operator at this machine's account. */
const operatorName = (): string => {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli:unknown';
  }
};

/** An incident in a few lines, for people. */
export const describeIncident = (incident: IncidentView, detailed: boolean): string[] => {
  const lines = [`${incident.incidentId}  ${incident.status}  ${incident.openedAt}  tenant ${incident.tenantId}  ${incident.invariant}`, `  ${incident.summary}`];
  if (!detailed) return lines;
  for (const event of incident.evidence.events) lines.push(`  height ${event.height ?? '-'}  ${event.eventId ?? '-'}  ${event.hash ?? '-'}: ${event.problem}`);
  const { events: _events, ...rest } = incident.evidence;
  if (Object.keys(rest).length > 0) lines.push(`  ${JSON.stringify(rest)}`);
  return lines;
};

/**
 * `./halm incidents list|show|resolve`: the incidents the integrity monitor opened, read from
 * PostgreSQL (every tenant's: this is the operator's tool). Resolving one records who and why;
 * the finding stays closed (the monitor never opens an incident twice for it).
 */
export const incidents = async (
  databaseUrl: string,
  parsed: IncidentsArguments,
  log: (line: string) => void,
  fail: (line: string) => number,
  by = operatorName(),
): Promise<number> => {
  let dataSource;
  try {
    dataSource = await createDataSource(databaseUrl, 2).initialize();
  } catch (error) {
    return fail(`cannot read the incidents: ${(error as Error).message}`);
  }
  try {
    const reads = new IntegrityReadModel(dataSource);
    if (parsed.verb === 'resolve') {
      const resolved = await new IntegrityStore(dataSource).resolveIncident(parsed.incidentId, `${parsed.reason} (by ${by})`, new Date());
      if (!resolved) {
        process.stderr.write(`halm: no open incident ${parsed.incidentId}\n`);
        return INCIDENTS_EXIT.findings;
      }
      const incident = await reads.incident(parsed.incidentId);
      if (parsed.json) log(JSON.stringify(incident, null, 2));
      else log(`resolved ${parsed.incidentId}`);
      return INCIDENTS_EXIT.clean;
    }
    if (parsed.verb === 'show') {
      const found = await reads.incident(parsed.incidentId);
      if (!found) {
        process.stderr.write(`halm: no incident ${parsed.incidentId}\n`);
        return INCIDENTS_EXIT.findings;
      }
      if (parsed.json) log(JSON.stringify(found, null, 2));
      else describeIncident(found, true).forEach((line) => log(line));
      return INCIDENTS_EXIT.clean;
    }
    const listed = await reads.incidents({ limit: parsed.limit, ...(parsed.tenantId ? { tenantId: parsed.tenantId } : {}), ...(parsed.status ? { status: parsed.status } : {}) });
    if (parsed.json) log(JSON.stringify({ incidents: listed }, null, 2));
    else if (listed.length === 0) log('no incidents');
    else listed.forEach((incident) => describeIncident(incident, false).forEach((line) => log(line)));
    return listed.some((incident) => incident.status === 'OPEN') ? INCIDENTS_EXIT.findings : INCIDENTS_EXIT.clean;
  } catch (error) {
    return fail(`cannot read the incidents: ${(error as Error).message}`);
  } finally {
    await dataSource.destroy();
  }
};
