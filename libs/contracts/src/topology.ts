/**
 * Every NATS name Halm uses, derived from one namespace. Production runs with the empty
 * namespace (stream `LEDGER`, subjects `ledger.evt.<tenantId>`); each test run picks its own
 * namespace so that runs never share a stream or a subject.
 */
export interface Topology {
  readonly namespace: string;
  readonly ledgerStream: string;
  readonly ledgerSubjects: string;
  ledgerSubject(tenantId: string): string;
  readonly evaluateSubject: string;
  readonly appendSubject: string;
  readonly tenantStateSubject: string;
  readonly policiesSubject: string;
  /** `ledger.req.execution`: an execution as the ledger recorded it, after catching up. */
  readonly executionSubject: string;
  /** `ledger.req.checkpoint`: sign a checkpoint of a tenant's tree now (on demand). */
  readonly checkpointRequestSubject: string;
  /** `ledger.req.public-keys`: the Ed25519 public keys checkpoints are (and were) signed with, by key id. */
  readonly publicKeysSubject: string;
  /** Signed checkpoints, one subject per tenant, on their own append-only stream. */
  readonly checkpointStream: string;
  readonly checkpointSubjects: string;
  checkpointSubject(tenantId: string): string;
  /** `executor.req.execute` / `executor.req.report`: gateway → executor. */
  readonly executeSubject: string;
  readonly reportSubject: string;
  /** Core NATS: an execution ended (`{ executionId }`); executors waiting on a duplicate wake on it. */
  executionSettledSubject(executionId: string): string;
  /** NATS KV bucket where each live executor instance keeps a heartbeat, so others can tell an abandoned execution. */
  readonly executorsBucket: string;
  /** NATS KV bucket holding the lockdown state: key `global` and `tenant.<id>`. */
  readonly lockdownBucket: string;
  /** `lockdown.req.engage` / `lockdown.req.release` / `lockdown.req.status`: gateway, CLI, integrity monitor → lockdown-controller. */
  readonly lockdownEngageSubject: string;
  readonly lockdownReleaseSubject: string;
  readonly lockdownStatusSubject: string;
  /** `integrity.req.check`: gateway, CLI → integrity-monitor; a check now, of one tenant or all. */
  readonly integrityCheckSubject: string;
  /** Core NATS: a key was revoked; every gateway drops it from its cache at once. */
  readonly keyRevokedSubject: string;
  /** Core NATS: the projection changed a tenant's proposal (`{ proposalId, lifecycle }`); gateways wake long-polls on it. */
  proposalUpdatedSubject(tenantId: string): string;
  /** Every tenant's proposal-updated subject, for one subscription per gateway. */
  readonly proposalUpdatedSubjects: string;
  readonly queueGroup: (service: string) => string;
}

/** Tenant ids become NATS subject tokens, so they are restricted to a safe alphabet. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const NAMESPACE_PATTERN = /^[a-z0-9-]{0,32}$/;

export const isValidNamespace = (namespace: string): boolean => NAMESPACE_PATTERN.test(namespace);

export const topology = (namespace = ''): Topology => {
  if (!isValidNamespace(namespace)) throw new Error(`invalid namespace '${namespace}'`);
  const prefix = namespace ? `${namespace}.` : '';
  const suffix = namespace ? `_${namespace.toUpperCase().replace(/-/g, '_')}` : '';
  return {
    namespace,
    ledgerStream: `LEDGER${suffix}`,
    ledgerSubjects: `${prefix}ledger.evt.>`,
    ledgerSubject: (tenantId) => {
      // A tenant id is one subject token: '>' or '*' would reach other tenants' events.
      if (!TENANT_ID_PATTERN.test(tenantId)) throw new Error(`invalid tenant id '${tenantId}'`);
      return `${prefix}ledger.evt.${tenantId}`;
    },
    evaluateSubject: `${prefix}policy.req.evaluate`,
    appendSubject: `${prefix}ledger.req.append`,
    tenantStateSubject: `${prefix}ledger.req.tenant-state`,
    policiesSubject: `${prefix}ledger.req.policies`,
    executionSubject: `${prefix}ledger.req.execution`,
    checkpointRequestSubject: `${prefix}ledger.req.checkpoint`,
    publicKeysSubject: `${prefix}ledger.req.public-keys`,
    checkpointStream: `LEDGER_CHECKPOINTS${suffix}`,
    checkpointSubjects: `${prefix}ledger.chk.>`,
    checkpointSubject: (tenantId) => {
      if (!TENANT_ID_PATTERN.test(tenantId)) throw new Error(`invalid tenant id '${tenantId}'`);
      return `${prefix}ledger.chk.${tenantId}`;
    },
    executeSubject: `${prefix}executor.req.execute`,
    reportSubject: `${prefix}executor.req.report`,
    executionSettledSubject: (executionId) => `${prefix}executor.evt.execution-settled.${executionId}`,
    executorsBucket: `halm_executors${suffix.toLowerCase()}`,
    lockdownBucket: `halm_lockdown${suffix.toLowerCase()}`,
    lockdownEngageSubject: `${prefix}lockdown.req.engage`,
    lockdownReleaseSubject: `${prefix}lockdown.req.release`,
    lockdownStatusSubject: `${prefix}lockdown.req.status`,
    integrityCheckSubject: `${prefix}integrity.req.check`,
    keyRevokedSubject: `${prefix}gateway.evt.key-revoked`,
    proposalUpdatedSubject: (tenantId) => {
      if (!TENANT_ID_PATTERN.test(tenantId)) throw new Error(`invalid tenant id '${tenantId}'`);
      return `${prefix}gateway.evt.proposal-updated.${tenantId}`;
    },
    proposalUpdatedSubjects: `${prefix}gateway.evt.proposal-updated.*`,
    queueGroup: (service) => `${prefix}${service}`,
  };
};
