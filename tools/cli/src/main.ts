import { isValidNamespace, TENANT_ID_PATTERN, topology } from '@halm/contracts';
import { publicKeyOf, signingKeyFrom } from '@halm/domain';
import { connectNats } from '@halm/messaging';
import { newSigningKey } from '@halm/testing';
import { createDataSource, TenantDirectory, API_KEY_ROLES, type ApiKeyRole } from '@halm/persistence';
import { runMigrations } from './commands/migrate.command';
import { rebuildProjections } from './commands/projections.command';
import { test, TIERS, type Tier } from './commands/test.command';
import { up } from './commands/up.command';
import { exportLedger } from './commands/export.command';
import { lockdown, parseLockdownArguments } from './commands/lockdown.command';
import { parseReplayArguments, replay, whatIf } from './commands/replay.command';
import { incidents, parseIncidentsArguments } from './commands/incidents.command';
import { integrityCheck, integrityStatus, parseIntegrityArguments } from './commands/integrity.command';
import { ledgerPublicKeys, verifyExportFile } from './commands/verify.command';
import { verifyLive } from './commands/verify-live.command';
import { DEFAULT_DATABASE_URL, DEFAULT_NATS_URL, demoEnvFile } from './paths';

const USAGE = `Usage: ./halm <command>

  up                          run Halm: NATS, PostgreSQL, migrations, the six services, a demo tenant
  test [tier…] [-- jest args] run the test suite (tiers: ${TIERS.join(', ')}; all by default)
  migrate                     apply database migrations and create the ledger stream
  tenants create <name>       create a tenant; prints its id
  keys issue <tenantId> <role[,role…]> [label]
                              issue an API key (roles: ${API_KEY_ROLES.join(', ')}); prints the secret once
  keys revoke <tenantId> <keyId>
  keys signing                print a new Ed25519 key for EXECUTION_TOKEN_SIGNING_KEY (gateways sign execution tokens with it)
                              or LEDGER_SIGNING_KEY (ledgers sign checkpoints with it); its public key goes to stderr
                              (executors list it in EXECUTION_TOKEN_PUBLIC_KEYS)
  keys public                 print the ledger's checkpoint public keys (from a running ledger, else from .halm/demo.env)
  export <tenantId> [--out <file>]
                              write a tenant's events, signed checkpoints and consistency proofs to a file
                              (default <tenantId>-ledger-export.json), after asking the ledger for a fresh checkpoint
  verify <file> [--public-key <key>[,<key>…]] [--json]
                              verify an export offline with only the ledger's public keys (or HALM_LEDGER_PUBLIC_KEY);
                              exit 0 when intact, 1 naming each broken event or checkpoint, 2 when it cannot verify
  verify --tenant <id> [--public-key <key>[,<key>…]] [--json]
                              the same, live: the tenant's ledger read from the streams (keys: the running ledger's if none given)
  replay <tenantId> [--from <height>] [--to <height>] [--json]   (or --file <export.json> instead of the tenant)
                              re-evaluate every recorded decision with the policy snapshot it names: PASS, FAIL or UNKNOWN;
                              exit 0 all PASS, 1 any FAIL, 3 only UNKNOWN besides PASS, 2 when it cannot run
  what-if <tenantId> <manifest.yaml> [--from <height>] [--to <height>] [--json]   (or --file <export.json>)
                              the decisions a candidate manifest would change; exit 0 none, 1 some, 2 when it cannot run
  integrity check [--tenant <id>] [--full] [--json]
                              check the six invariants now, through the integrity monitor (--full: from the first event);
                              exit 0 no violation, 1 violations found (incidents opened), 2 when it cannot check
  integrity status [--json]   the invariants, the hash chains and lockdown as the last checks left them
                              (exit 0 all pass, 1 an incident is open or nothing was checked yet, 2 cannot tell)
  incidents list [--tenant <id>] [--status OPEN|RESOLVED] [--limit <n>] [--json]
  incidents show <incidentId> [--json]
                              the incidents the integrity monitor opened, newest first, with their evidence
                              (list: exit 0 none open, 1 some open; show: 0 found, 1 not found; 2 cannot read)
  incidents resolve <incidentId> --reason <text>
                              close an incident once investigated (exit 0 resolved, 1 no such open incident)
  lockdown status [--tenant <id>] [--json]
                              the lockdowns in force (exit 0 none, 1 one is in force, 2 cannot tell)
  lockdown engage|release --reason <text> (--tenant <id> | --global) [--json]
                              engage or release a lockdown by hand, recorded in the ledger (exit 0 done, 1 failed)
  projections rebuild         rebuild the PostgreSQL projections from the whole ledger stream (services keep running)
  bench [name…] [-- options]  run the benchmarks (all by default; bench list names them), write benchmarks/results/

Environment: NATS_URL (default ${DEFAULT_NATS_URL}), DATABASE_URL (default ${DEFAULT_DATABASE_URL}),
HALM_NAMESPACE (prefix for streams and subjects, default none), HALM_BASE_PORT (default 3000),
LEDGER_REPLICAS (ledger stream replicas for migrate, default 1).`;

const log = (line: string) => process.stdout.write(`${line}\n`);
const fail = (line: string): number => {
  process.stderr.write(`halm: ${line}\n`);
  return 2;
};

const settings = () => {
  const namespace = process.env['HALM_NAMESPACE'] ?? '';
  if (!isValidNamespace(namespace)) throw new Error('HALM_NAMESPACE must be at most 32 lower-case letters, digits or dashes');
  const basePort = Number(process.env['HALM_BASE_PORT'] ?? 3000);
  if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65_530) throw new Error('HALM_BASE_PORT must be a port number');
  return {
    natsUrl: process.env['NATS_URL'] || DEFAULT_NATS_URL,
    databaseUrl: process.env['DATABASE_URL'] || DEFAULT_DATABASE_URL,
    namespace,
    basePort,
  };
};

const withDirectory = async <T>(work: (directory: TenantDirectory) => Promise<T>): Promise<T> => {
  const dataSource = await createDataSource(settings().databaseUrl, 2).initialize();
  try {
    return await work(new TenantDirectory(dataSource));
  } finally {
    await dataSource.destroy();
  }
};

// Gateways cache verified keys briefly; the announcement makes them forget this one at once.
const announceRevocation = async (keyHash: string): Promise<void> => {
  const { natsUrl, namespace } = settings();
  try {
    const connection = await connectNats(natsUrl, 'halm-cli', { user: process.env['NATS_USER'] ?? '', password: process.env['NATS_PASSWORD'] ?? '' });
    connection.publish(topology(namespace).keyRevokedSubject, JSON.stringify({ keyHash }));
    await connection.drain();
  } catch (error) {
    log(`revoked; gateways could not be told at once (${(error as Error).message}) and will notice within API_KEY_CACHE_MS`);
  }
};

const commands: Record<string, (args: string[]) => Promise<number>> = {
  up: () => up(settings(), log),
  test: (args) => {
    const separator = args.indexOf('--');
    const tierArgs = separator >= 0 ? args.slice(0, separator) : args;
    const unknown = tierArgs.filter((tier) => !(TIERS as readonly string[]).includes(tier));
    if (unknown.length > 0) return Promise.resolve(fail(`unknown test tier ${unknown.join(', ')}; tiers are ${TIERS.join(', ')}`));
    return test({ ...settings(), tiers: tierArgs.length > 0 ? (tierArgs as Tier[]) : TIERS, jestArguments: separator >= 0 ? args.slice(separator + 1) : [] }, log);
  },
  migrate: async () => {
    const replicas = Number(process.env['LEDGER_REPLICAS'] ?? 1);
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) return fail('LEDGER_REPLICAS must be a whole number from 1 to 5');
    await runMigrations({ ...settings(), ledgerReplicas: replicas }, log);
    return 0;
  },
  projections: async ([verb]) => {
    if (verb !== 'rebuild') return fail('usage: ./halm projections rebuild');
    await rebuildProjections(settings(), log);
    return 0;
  },
  tenants: async ([verb, name]) => {
    if (verb !== 'create' || !name) return fail('usage: ./halm tenants create <name>');
    const tenant = await withDirectory((directory) => directory.createTenant(name));
    log(tenant.id);
    return 0;
  },
  keys: async ([verb, tenantId, third, label]) => {
    if (verb === 'signing') {
      // A new signing key on stdout; its public key (for EXECUTION_TOKEN_PUBLIC_KEYS or a verifier) on stderr. Nothing is stored.
      const signingKey = newSigningKey();
      log(signingKey);
      process.stderr.write(`public key: ${publicKeyOf(signingKeyFrom(signingKey))}\n`);
      return 0;
    }
    if (verb === 'public') {
      const found = await ledgerPublicKeys({ ...settings(), envFile: demoEnvFile });
      if (!found) return fail('no ledger answered and .halm/demo.env holds no LEDGER_SIGNING_KEY');
      // The keys alone on stdout, ready for --public-key; which is which on stderr.
      log(found.keys.map((key) => key.publicKey).join(','));
      process.stderr.write(`from ${found.source}: ${found.keys.map((key) => `key ${key.keyId} (${key.current ? 'current' : 'retired'})`).join(', ')}\n`);
      return 0;
    }
    if (verb === 'issue' && tenantId && third) {
      const roles = third.split(',');
      const unknown = roles.filter((role) => !(API_KEY_ROLES as readonly string[]).includes(role));
      if (unknown.length > 0) return fail(`unknown role ${unknown.join(', ')}; roles are ${API_KEY_ROLES.join(', ')}`);
      return withDirectory(async (directory) => {
        if (!(await directory.findTenant(tenantId))) return fail(`no tenant ${tenantId}`);
        const key = await directory.issueKey(tenantId, roles as ApiKeyRole[], label ?? '');
        log(`${key.id} ${key.secret}`);
        return 0;
      });
    }
    if (verb === 'revoke' && tenantId && third) {
      const revoked = await withDirectory((directory) => directory.revokeKey(tenantId, third));
      if (!revoked) return fail(`no key ${third} for tenant ${tenantId}`);
      await announceRevocation(revoked.keyHash);
      return 0;
    }
    return fail('usage: ./halm keys issue <tenantId> <roles> [label] | ./halm keys revoke <tenantId> <keyId> | ./halm keys signing | ./halm keys public');
  },
  export: async ([tenantId, ...rest]) => {
    const outAt = rest.indexOf('--out');
    const out = outAt >= 0 ? rest[outAt + 1] : `${tenantId}-ledger-export.json`;
    const unknown = rest.filter((arg, index) => !(index === outAt || index === outAt + 1));
    if (!tenantId || !TENANT_ID_PATTERN.test(tenantId) || !out || unknown.length > 0) return fail('usage: ./halm export <tenantId> [--out <file>]');
    return exportLedger({ ...settings(), tenantId, out }, log);
  },
  verify: async (args) => {
    const publicKeys: string[] = [];
    const files: string[] = [];
    let tenantId: string | undefined;
    let json = false;
    for (let index = 0; index < args.length; index += 1) {
      const arg = args[index] as string;
      if (arg === '--json') json = true;
      else if (arg === '--public-key') publicKeys.push(...(args[(index += 1)] ?? '').split(','));
      else if (arg.startsWith('--public-key=')) publicKeys.push(...arg.slice('--public-key='.length).split(','));
      else if (arg === '--tenant') tenantId = args[(index += 1)] ?? '';
      else if (arg.startsWith('--')) return fail(`unknown option ${arg}; usage: ./halm verify <file> | --tenant <id> [--public-key <key>[,<key>…]] [--json]`);
      else files.push(arg);
    }
    if (publicKeys.length === 0) publicKeys.push(...(process.env['HALM_LEDGER_PUBLIC_KEY'] ?? '').split(','));
    const keys = publicKeys.map((key) => key.trim()).filter((key) => key !== '');
    if (tenantId !== undefined) {
      if (files.length !== 0 || !TENANT_ID_PATTERN.test(tenantId)) return fail('usage: ./halm verify --tenant <id> [--public-key <key>[,<key>…]] [--json]');
      return verifyLive({ ...settings(), tenantId, publicKeys: keys, json, envFile: demoEnvFile }, log, fail);
    }
    if (files.length !== 1) return fail('usage: ./halm verify <file> [--public-key <key>[,<key>…]] [--json]');
    return verifyExportFile({ file: files[0] as string, publicKeys: keys, json }, log, fail);
  },
  replay: (args) => {
    const parsed = parseReplayArguments('replay', args);
    return typeof parsed === 'string' ? Promise.resolve(fail(parsed)) : replay(settings(), parsed, log, fail);
  },
  'what-if': (args) => {
    const parsed = parseReplayArguments('what-if', args);
    return typeof parsed === 'string' ? Promise.resolve(fail(parsed)) : whatIf(settings(), parsed, log, fail);
  },
  integrity: (args) => {
    const parsed = parseIntegrityArguments(args);
    if (typeof parsed === 'string') return Promise.resolve(fail(parsed));
    return parsed.verb === 'check' ? integrityCheck(settings(), parsed, log, fail) : integrityStatus(settings(), parsed, log, fail);
  },
  incidents: (args) => {
    const parsed = parseIncidentsArguments(args);
    return typeof parsed === 'string' ? Promise.resolve(fail(parsed)) : incidents(settings().databaseUrl, parsed, log, fail);
  },
  lockdown: async (args) => {
    const parsed = parseLockdownArguments(args);
    if (typeof parsed === 'string') return fail(parsed);
    return lockdown(settings(), parsed, log, fail);
  },
  bench: (args) => import('./commands/bench.command.js').then(({ bench }) => bench(args, log)),
};

const [command, ...args] = process.argv.slice(2);
const handler = command ? commands[command] : undefined;
if (!handler) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(command && command !== 'help' && command !== '--help' ? 2 : 0);
}
// settings() throws synchronously on a bad setting; starting from a promise turns that into the one line below
Promise.resolve()
  .then(() => handler(args))
  .then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`halm ${command}: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
