import { userInfo } from 'node:os';
import {
  TENANT_ID_PATTERN,
  topology,
  type Actor,
  type EngageLockdownReply,
  type EngageLockdownRequest,
  type LockdownRecord,
  type ReleaseLockdownReply,
  type ReleaseLockdownRequest,
} from '@halm/contracts';
import { connectNats, GLOBAL_LOCKDOWN_KEY, LockdownSwitch, RpcClient, tenantLockdownKey } from '@halm/messaging';

export const LOCKDOWN_USAGE = 'usage: ./halm lockdown status [--tenant <id>] [--json] | ./halm lockdown engage|release --reason <text> (--tenant <id> | --global) [--json]';

export interface LockdownOptions {
  natsUrl: string;
  namespace: string;
}

interface LockdownArguments {
  verb: 'status' | 'engage' | 'release';
  tenantId: string | undefined;
  global: boolean;
  reason: string | undefined;
  json: boolean;
}

// A global lockdown is recorded in every tenant's ledger before the controller answers.
const REQUEST_TIMEOUT_MS = 60_000;

/** The arguments, or why they are wrong. */
export const parseLockdownArguments = (args: readonly string[]): LockdownArguments | string => {
  const [verb, ...rest] = args;
  if (verb !== 'status' && verb !== 'engage' && verb !== 'release') return LOCKDOWN_USAGE;
  const parsed: LockdownArguments = { verb, tenantId: undefined, global: false, reason: undefined, json: false };
  for (let index = 0; index < rest.length; index += 1) {
    const arg = rest[index]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? rest[(index += 1)];
    if (name === '--json') parsed.json = true;
    else if (name === '--global') parsed.global = true;
    else if (name === '--tenant') parsed.tenantId = value();
    else if (name === '--reason') parsed.reason = value();
    else return `unknown argument ${arg}; ${LOCKDOWN_USAGE}`;
  }
  if (parsed.tenantId !== undefined && !TENANT_ID_PATTERN.test(parsed.tenantId)) return '--tenant must be a tenant id (letters, digits, _ and -)';
  if (verb === 'status') return parsed.global ? `status takes --tenant or nothing; ${LOCKDOWN_USAGE}` : parsed;
  if (parsed.global === (parsed.tenantId !== undefined)) return `${verb} needs exactly one of --tenant <id> and --global`;
  if (parsed.reason === undefined || parsed.reason.trim() === '') return `${verb} needs --reason <text>: it is recorded in the ledger`;
  return parsed;
};

/** Who asked, for the ledger: the operator at this machine's account. */
const operatorActor = (): Actor => {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no account name (a container without /etc/passwd entry): the ledger still says it came from the CLI
  }
  return { kind: 'key', id: `cli:${user}` };
};

const describeLockdown = (record: LockdownRecord): string =>
  `${record.scope === 'global' ? 'global lockdown' : `lockdown of tenant ${record.tenantId}`} ${record.lockdownId} since ${record.engagedAt} (${record.trigger}, by ${record.by.kind} ${record.by.id}): ${record.reason}`;

/**
 * `./halm lockdown status|engage|release`. Status reads the lockdown bucket itself, so it
 * answers even when no controller runs; engage and release go through the lockdown controller,
 * which records them in the ledger. Exit codes: status 0 when no lockdown is in force (for the
 * tenant, with --tenant), 1 when one is, 2 when the state cannot be read; engage and release 0
 * when done (also when nothing had to change), 1 when the controller refused or did not answer.
 */
export const lockdown = async (options: LockdownOptions, parsed: LockdownArguments, log: (line: string) => void, fail: (line: string) => number): Promise<number> => {
  let connection;
  try {
    connection = await connectNats(options.natsUrl, 'halm-cli', { user: process.env['NATS_USER'] ?? '', password: process.env['NATS_PASSWORD'] ?? '' });
  } catch (error) {
    if (parsed.verb === 'status') return fail(`cannot reach NATS: ${(error as Error).message}`);
    process.stderr.write(`halm lockdown ${parsed.verb}: cannot reach NATS: ${(error as Error).message}\n`);
    return 1;
  }
  const names = topology(options.namespace);
  try {
    if (parsed.verb === 'status') {
      let records: LockdownRecord[];
      try {
        const bucket = await LockdownSwitch.open(connection, names);
        records =
          parsed.tenantId === undefined
            ? await bucket.all()
            : (await Promise.all([bucket.read(GLOBAL_LOCKDOWN_KEY), bucket.read(tenantLockdownKey(parsed.tenantId))])).flatMap((found) => (found ? [found.record] : []));
      } catch (error) {
        return fail(`cannot read the lockdown state: ${(error as Error).message}`);
      }
      const global = records.find((record) => record.scope === 'global') ?? null;
      const tenants = records.filter((record) => record.scope === 'tenant');
      const active = records.length > 0;
      if (parsed.json) log(JSON.stringify({ active, global, tenants }, null, 2));
      else if (!active) log(parsed.tenantId === undefined ? 'no lockdown in force' : `no lockdown in force for tenant ${parsed.tenantId}`);
      else records.forEach((record) => log(describeLockdown(record)));
      return active ? 1 : 0;
    }
    const rpc = new RpcClient(connection);
    const target = parsed.global ? { scope: 'global' as const } : { scope: 'tenant' as const, tenantId: parsed.tenantId! };
    try {
      if (parsed.verb === 'engage') {
        const request: EngageLockdownRequest = { ...target, trigger: 'MANUAL', reason: parsed.reason!, by: operatorActor() };
        const reply = await rpc.request<EngageLockdownRequest, EngageLockdownReply>(names.lockdownEngageSubject, request, REQUEST_TIMEOUT_MS);
        if (parsed.json) log(JSON.stringify(reply, null, 2));
        else log(`${reply.engaged ? 'engaged' : 'already in force, nothing changed'}: ${describeLockdown(reply.lockdown)}; recorded in ${reply.tenants} tenant ledger${reply.tenants === 1 ? '' : 's'}`);
        return 0;
      }
      const request: ReleaseLockdownRequest = { ...target, reason: parsed.reason!, by: operatorActor() };
      const reply = await rpc.request<ReleaseLockdownRequest, ReleaseLockdownReply>(names.lockdownReleaseSubject, request, REQUEST_TIMEOUT_MS);
      if (parsed.json) log(JSON.stringify(reply, null, 2));
      else if (!reply.lockdown) log('no lockdown of that scope was in force, nothing changed');
      else log(`released: ${describeLockdown(reply.lockdown)}; recorded in ${reply.tenants} tenant ledger${reply.tenants === 1 ? '' : 's'}`);
      return 0;
    } catch (error) {
      process.stderr.write(`halm lockdown ${parsed.verb}: ${(error as Error).message}\n`);
      return 1;
    }
  } finally {
    await connection.close();
  }
};
