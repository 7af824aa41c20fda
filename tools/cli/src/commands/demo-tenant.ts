import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { publicKeyOf, signingKeyFrom } from '@halm/domain';
import { createDataSource, TenantDirectory } from '@halm/persistence';
import { newSigningKey } from '@halm/testing';

export interface DemoTenant {
  tenantId: string;
  agentKey: string;
  adminKey: string;
}

export const parseEnvFile = (file: string): Record<string, string> =>
  Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => /^(?:export\s+)?([A-Z_]+)=(.*)$/.exec(line.trim()))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => [match[1]!, match[2]!]),
  );

/** Reuses the demo tenant of an earlier run when its keys still work; otherwise creates one. */
export const ensureDemoTenant = async (databaseUrl: string, envFile: string): Promise<{ tenant: DemoTenant; created: boolean }> => {
  const dataSource = await createDataSource(databaseUrl, 2).initialize();
  try {
    const directory = new TenantDirectory(dataSource);
    if (existsSync(envFile)) {
      const previous = parseEnvFile(envFile);
      const agent = previous['HALM_API_KEY'] ? await directory.authenticate(previous['HALM_API_KEY']) : null;
      const admin = previous['HALM_ADMIN_KEY'] ? await directory.authenticate(previous['HALM_ADMIN_KEY']) : null;
      if (agent && admin && agent.tenantId === admin.tenantId) {
        return { tenant: { tenantId: agent.tenantId, agentKey: previous['HALM_API_KEY']!, adminKey: previous['HALM_ADMIN_KEY']! }, created: false };
      }
    }
    const tenant = await directory.createTenant('demo');
    const agent = await directory.issueKey(tenant.id, ['agent'], 'demo agent');
    const admin = await directory.issueKey(tenant.id, ['admin', 'approver', 'auditor'], 'demo admin');
    return { tenant: { tenantId: tenant.id, agentKey: agent.secret, adminKey: admin.secret }, created: true };
  } finally {
    await dataSource.destroy();
  }
};

/** The local deployment's execution-token signing key: kept from an earlier run, else new. */
export const signingKeyFor = (envFile: string): string =>
  (existsSync(envFile) ? parseEnvFile(envFile)['EXECUTION_TOKEN_SIGNING_KEY'] : undefined) || newSigningKey();

/** The local ledger's checkpoint signing key: kept from an earlier run, so checkpoints already published still verify. */
export const ledgerSigningKeyFor = (envFile: string): string =>
  (existsSync(envFile) ? parseEnvFile(envFile)['LEDGER_SIGNING_KEY'] : undefined) || newSigningKey();

/** The executors' webhook signing secret: kept from an earlier run, so receivers set up with it keep verifying. */
export const webhookSecretFor = (envFile: string): string =>
  (existsSync(envFile) ? parseEnvFile(envFile)['WEBHOOK_SIGNING_SECRET'] : undefined) || randomBytes(32).toString('base64url');

/** The deployment's operator key (for POST /api/admin/tenants): kept from an earlier run, else new. */
export const operatorKeyFor = (envFile: string): string =>
  (existsSync(envFile) ? parseEnvFile(envFile)['HALM_OPERATOR_KEY'] : undefined) || `halm_op_${randomBytes(24).toString('base64url')}`;

/** What a local deployment keeps between runs of ./halm up. */
export interface DeploymentSecrets {
  operatorKey: string;
  signingKey: string;
  ledgerSigningKey: string;
  webhookSecret: string;
}

export const writeDemoEnv = (envFile: string, gatewayUrl: string, tenant: DemoTenant, { operatorKey, signingKey, ledgerSigningKey, webhookSecret }: DeploymentSecrets): void => {
  writeFileSync(
    envFile,
    [
      '# Written by ./halm up: the local demo tenant and its keys (set -a; source .halm/demo.env; set +a exports them).',
      `HALM_URL=${gatewayUrl}`,
      `HALM_API_KEY=${tenant.agentKey}`,
      `HALM_ADMIN_KEY=${tenant.adminKey}`,
      `HALM_TENANT_ID=${tenant.tenantId}`,
      `HALM_OPERATOR_KEY=${operatorKey}`,
      `EXECUTION_TOKEN_SIGNING_KEY=${signingKey}`,
      `LEDGER_SIGNING_KEY=${ledgerSigningKey}`,
      `HALM_LEDGER_PUBLIC_KEY=${publicKeyOf(signingKeyFrom(ledgerSigningKey))}`,
      `WEBHOOK_SIGNING_SECRET=${webhookSecret}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
};
