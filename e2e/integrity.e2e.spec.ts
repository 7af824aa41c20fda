import { DeliverPolicy, jetstream, jetstreamManager, type ConsumerConfig } from '@nats-io/jetstream';
import type { IncidentView, IntegrityRunView, LedgerEvent, LedgerEventType } from '@halm/contracts';
import { chain, headOf } from '@halm/domain';
import { ensureLedgerStream, LedgerStore } from '@halm/messaging';
import { eventually } from '@halm/testing';
import { authorize, startE2eStack, type E2eStack } from './stack';

const OPERATOR_KEY = 'halm_op_integrity-e2e-operator-key-0123';
const TASK = { type: 'task:create', payload: { title: 'Call the customer back' } };

interface Allowed {
  proposalId: string;
  /** The token's claims and key id, as an executor would record them. */
  tokenId: string;
  tokenKeyId: string;
  decisionHash: string;
}

interface PublicIntegrity {
  enforcementActive: boolean;
  invariantsPassing: boolean;
  hashChainValid: boolean;
  lockdownActive: boolean;
  lastIntegrityCheck: string | null;
}

/**
 * The integrity monitor against the real services, in strict mode: each fault is made the way
 * it would really happen (a message published onto a tenant's subject by someone who can
 * publish there, bypassing the ledger service; the ledger stream rewritten by someone with
 * stream-admin rights), found by the invariant that names it, opened as an incident, locked
 * down, and reported by the public endpoint; then an admin releases the lockdown with a reason.
 */
describe('integrity checks of tampered ledgers (strict mode)', () => {
  let halm: E2eStack;

  beforeAll(async () => {
    halm = await startE2eStack(['policy-evaluator', 'ledger', 'lockdown-controller', 'integrity-monitor', 'gateway'], {
      OPERATOR_API_KEY: OPERATOR_KEY,
      STRICT_MODE: 'true',
      // On demand only: each test checks when its fault is in place, and checkpoints are signed when a test asks.
      INTEGRITY_CHECK_INTERVAL_MS: '0',
      CHECKPOINT_INTERVAL_MS: '0',
    });
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
  });

  const call = async <T = Record<string, unknown>>(method: string, path: string, key?: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${halm.gatewayUrl}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  const tenant = async (name: string) => {
    const created = await halm.createTenant(name);
    return { ...created, adminKey: await halm.issueKey(created.tenantId, ['admin', 'auditor']) };
  };

  const decide = async (agentKey: string, confidenceScore: number) => {
    const response = await authorize(halm.gatewayUrl, agentKey, { ...TASK, context: { confidenceScore } });
    expect(response.status).toBe(200);
    return (await response.json()) as { proposalId: string; status: string; executionToken?: string };
  };

  const allowed = async (agentKey: string): Promise<Allowed> => {
    const decision = await decide(agentKey, 0.95);
    expect(decision.status).toBe('ALLOW');
    const [header, claims] = decision.executionToken!.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, string>);
    return { proposalId: decision.proposalId, tokenId: claims!['jti']!, tokenKeyId: header!['kid']!, decisionHash: claims!['dh']! };
  };

  const ledgerOf = async (tenantId: string): Promise<LedgerEvent[]> => (await LedgerStore.open(halm.nats.connection, halm.nats.topology)).read(tenantId);

  /** Publishes onto the tenant's ledger subject directly, as anyone allowed to publish there could, bypassing the ledger service and its checks. */
  const publishOnto = async (tenantId: string, body: unknown): Promise<void> => {
    await jetstream(halm.nats.connection).publish(halm.nats.topology.ledgerSubject(tenantId), JSON.stringify(body));
  };

  /** A well-formed event linked onto the tenant's head: a forgery only the meaning of the event can give away. */
  const forgeLinked = async (tenantId: string, type: LedgerEventType, eventId: string, data: unknown): Promise<LedgerEvent> => {
    const head = (await ledgerOf(tenantId)).at(-1)!;
    const event = chain(headOf(head), { tenantId, eventId, type, recordedAt: new Date().toISOString(), data });
    await publishOnto(tenantId, event);
    return event;
  };

  const executionStarted = (allowance: Omit<Allowed, 'decisionHash'> & { decisionHash: string }) => ({
    executionId: `exe_forged_${allowance.proposalId}`,
    proposalId: allowance.proposalId,
    idempotencyKey: `forged-${allowance.proposalId}`,
    actionType: TASK.type,
    actionDigest: '0'.repeat(64),
    decisionHash: allowance.decisionHash,
    tokenId: allowance.tokenId,
    tokenKeyId: allowance.tokenKeyId,
    performer: 'agent',
    connector: null,
    executorId: 'executor-nobody-runs',
    requestedBy: { kind: 'key', id: 'key_forger' },
  });

  const check = async (key: string, query = ''): Promise<IntegrityRunView> => {
    const response = await call<IntegrityRunView>('POST', `/api/admin/integrity/checks${query}`, key);
    expect(response.status).toBe(200);
    return response.body;
  };

  const failing = (run: IntegrityRunView) => run.results.filter((result) => !result.passing).map((result) => result.invariant);

  const incidentsOf = async (key: string): Promise<IncidentView[]> => (await call<{ incidents: IncidentView[] }>('GET', '/api/audit/incidents', key)).body.incidents;

  const codes = (incidents: readonly IncidentView[]) => incidents.map((incident) => `${incident.invariant}/${String(incident.evidence['code'])}`).sort();

  const lockdownOf = async (adminKey: string) =>
    (await call<{ active: boolean; tenants: { lockdownId: string; trigger: string; by: { id: string } }[] }>('GET', '/api/admin/lockdown', adminKey)).body;

  const publicIntegrity = async (): Promise<PublicIntegrity> => (await call<PublicIntegrity>('GET', '/api/public/integrity')).body;

  /** The public answers are cached a few seconds: wait for the one that says what the test expects. */
  const publicIntegrityBecomes = (expected: Partial<PublicIntegrity>) =>
    eventually(
      async () => {
        const status = await publicIntegrity();
        return Object.entries(expected).every(([field, value]) => status[field as keyof PublicIntegrity] === value) ? status : undefined;
      },
      15_000,
      `the public integrity status ${JSON.stringify(expected)}`,
    );

  const release = async (adminKey: string, reason: string) => {
    const released = await call<{ released: boolean; lockdown: { lockdownId: string } | null }>('POST', '/api/admin/lockdown/release', adminKey, { scope: 'tenant', reason });
    expect(released).toMatchObject({ status: 200, body: { released: true } });
    return released.body.lockdown!;
  };

  it('passes an honest tenant, and the public endpoints say so without naming any tenant', async () => {
    const acme = await tenant('acme');
    await allowed(acme.agentKey);
    await decide(acme.agentKey, 0.1);

    const run = await check(acme.adminKey);

    expect(run.eventsExamined).toBe(4);
    expect(run.results).toEqual(
      ['NO_SIDE_EFFECT_WITHOUT_ALLOW', 'EXECUTION_TOKEN_REQUIRED', 'DECISION_HASH_VALID', 'HASH_CHAIN_CONTINUOUS', 'LOCKDOWN_OVERRIDES_ALL', 'TENANT_ISOLATION_ENFORCED'].map((invariant) => ({
        invariant,
        passing: true,
        eventsExamined: 4,
      })),
    );
    expect((await call<{ runs: IntegrityRunView[] }>('GET', '/api/audit/integrity/checks', acme.adminKey)).body.runs).toEqual([run]);
    const status = await publicIntegrityBecomes({ invariantsPassing: true });
    expect(status).toEqual({ enforcementActive: true, invariantsPassing: true, hashChainValid: true, lockdownActive: false, lastIntegrityCheck: expect.any(String) });
    const invariants = await call<{ invariants: { name: string; passing: boolean | null }[] }>('GET', '/api/public/invariants');
    expect(invariants.body.invariants.map((invariant) => [invariant.name, invariant.passing])).toEqual(run.results.map((result) => [result.invariant, true]));
    expect(JSON.stringify([status, invariants.body])).not.toContain(acme.tenantId);
    // bad input names the field
    expect(await call('GET', '/api/audit/incidents?limit=0', acme.adminKey)).toMatchObject({ status: 400, body: { invalidParams: [{ name: 'limit' }] } });
    expect(await call('POST', '/api/admin/integrity/checks?full=maybe', acme.adminKey)).toMatchObject({ status: 400, body: { invalidParams: [{ name: 'full' }] } });
  });

  it('catches an event forged onto a tenant\'s subject, bypassing the ledger: another tenant\'s event that does not link', async () => {
    const victim = await tenant('victim');
    const other = await tenant('other');
    await allowed(victim.agentKey);
    await allowed(other.agentKey);
    const stolen = (await ledgerOf(other.tenantId)).at(-1)!;

    await publishOnto(victim.tenantId, stolen);
    const run = await check(victim.adminKey);

    expect(failing(run)).toEqual(['HASH_CHAIN_CONTINUOUS', 'TENANT_ISOLATION_ENFORCED']);
    const incidents = await incidentsOf(victim.adminKey);
    expect(codes(incidents)).toEqual([
      'HASH_CHAIN_CONTINUOUS/HEIGHT_GAP',
      'HASH_CHAIN_CONTINUOUS/PREV_HASH_MISMATCH',
      'TENANT_ISOLATION_ENFORCED/WRONG_TENANT',
      'TENANT_ISOLATION_ENFORCED/WRONG_TENANT',
    ]);
    expect(incidents[0]!.evidence.events[0]).toMatchObject({ height: stolen.height, eventId: stolen.eventId, hash: stolen.hash });
    expect((await call<IncidentView>('GET', `/api/audit/incidents/${incidents[0]!.incidentId}`, victim.adminKey)).body).toEqual(incidents[0]);
    expect((await call('GET', `/api/audit/incidents/${incidents[0]!.incidentId}`, other.adminKey)).status).toBe(404);
    // strict mode: locked down by the monitor; the anomalies are in the tenant's ledger, chained after the forged event
    // (the monitor asks the controller at once; the controller, in strict mode, may have acted on the anomaly a moment before)
    const lockdown = await lockdownOf(victim.adminKey);
    expect(lockdown.active).toBe(true);
    expect(['integrity-monitor', 'lockdown-controller']).toContain(lockdown.tenants[0]!.by.id);
    expect(['HASH_CHAIN_FAILURE', 'INVARIANT_VIOLATION']).toContain(lockdown.tenants[0]!.trigger);
    const anomalies = await eventually(async () => {
      const found = (await ledgerOf(victim.tenantId)).filter((event) => event.type === 'AnomalyRecorded');
      return found.length === incidents.length ? found : undefined;
    }, 10_000, 'an anomaly per incident');
    expect(anomalies.map((event) => (event.data as { anomalyId: string }).anomalyId).sort()).toEqual(incidents.map((incident) => incident.incidentId).sort());
    await publicIntegrityBecomes({ invariantsPassing: false, hashChainValid: false, lockdownActive: true });
    // finding it again opens nothing
    expect((await check(victim.adminKey, '?full=true')).eventsExamined).toBeGreaterThan(4);
    expect(await incidentsOf(victim.adminKey)).toHaveLength(incidents.length);

    const released = await release(victim.adminKey, 'forged event found and the publisher\'s credentials revoked');

    expect(released.lockdownId).toBe(lockdown.tenants[0]!.lockdownId);
    expect((await ledgerOf(victim.tenantId)).at(-1)).toMatchObject({
      type: 'LockdownReleased',
      data: { lockdownId: released.lockdownId, reason: 'forged event found and the publisher\'s credentials revoked' },
    });
  });

  it('catches an execution recorded without an ALLOW, with a correct chain: NO_SIDE_EFFECT_WITHOUT_ALLOW', async () => {
    const acme = await tenant('acme');
    const genuine = await allowed(acme.agentKey);
    const denied = await decide(acme.agentKey, 0.1);
    expect(denied.status).toBe('DENY');
    const denial = (await ledgerOf(acme.tenantId)).at(-1)!;

    const forged = await forgeLinked(acme.tenantId, 'ExecutionStarted', `exe_forged_${denied.proposalId}.started`, executionStarted({ ...genuine, proposalId: denied.proposalId, tokenId: 'jti_forged', decisionHash: denial.hash }));
    const run = await check(acme.adminKey);

    expect(failing(run)).toEqual(['NO_SIDE_EFFECT_WITHOUT_ALLOW', 'DECISION_HASH_VALID']);
    const incidents = await incidentsOf(acme.adminKey);
    expect(codes(incidents)).toEqual(['DECISION_HASH_VALID/DECISION_HASH_MISMATCH', 'NO_SIDE_EFFECT_WITHOUT_ALLOW/EXECUTION_NOT_ALLOWED']);
    expect(incidents.find((incident) => incident.invariant === 'NO_SIDE_EFFECT_WITHOUT_ALLOW')).toMatchObject({
      status: 'OPEN',
      evidence: { events: [{ height: forged.height, eventId: forged.eventId, hash: forged.hash }], proposalId: denied.proposalId },
    });
    expect((await lockdownOf(acme.adminKey)).tenants).toMatchObject([{ trigger: 'INVARIANT_VIOLATION' }]);
    await publicIntegrityBecomes({ invariantsPassing: false, lockdownActive: true });

    await release(acme.adminKey, 'forged execution investigated');
  });

  it('catches an execution recorded during a lockdown: LOCKDOWN_OVERRIDES_ALL, and nothing else', async () => {
    const acme = await tenant('acme');
    const allowance = await allowed(acme.agentKey);
    expect((await call('POST', '/api/admin/lockdown', acme.adminKey, { scope: 'tenant', reason: 'payments to an unknown recipient' })).status).toBe(200);

    const forged = await forgeLinked(acme.tenantId, 'ExecutionStarted', `exe_forged_${allowance.proposalId}.started`, executionStarted(allowance));
    const run = await check(acme.adminKey);

    expect(failing(run)).toEqual(['LOCKDOWN_OVERRIDES_ALL']);
    expect(await incidentsOf(acme.adminKey)).toMatchObject([
      { invariant: 'LOCKDOWN_OVERRIDES_ALL', evidence: { code: 'EXECUTION_DURING_LOCKDOWN', events: [{ height: forged.height, hash: forged.hash }] } },
    ]);
    expect((await lockdownOf(acme.adminKey)).tenants).toMatchObject([{ trigger: 'MANUAL' }]);

    await release(acme.adminKey, 'recipient verified; the forged start is being investigated');
  });

  it('catches a stored event altered and a chain truncated below its signed checkpoint, when someone with stream-admin rights rewrites the stream', async () => {
    const altered = await tenant('altered');
    const truncated = await tenant('truncated');
    await allowed(altered.agentKey);
    await decide(altered.agentKey, 0.1);
    for (let index = 0; index < 3; index += 1) await allowed(truncated.agentKey);
    const signed = await call<{ treeSize: number }>('POST', '/api/audit/checkpoints', truncated.adminKey);
    expect(signed).toMatchObject({ status: 201, body: { treeSize: 5 } });
    const victimEvent = (await ledgerOf(altered.tenantId))[2]!;

    // JetStream cannot edit a stored message and this stream denies deletes and purges: the
    // only way is to delete the whole stream and publish a doctored copy (production denies
    // stream deletion to every NATS user, leaving the file store itself). The durable
    // consumers go with the stream and are put back as they were.
    await rewriteLedgerStream(halm, (subject, event) => {
      if (event.hash === victimEvent.hash) return { ...event, data: { ...(event.data as object), decision: { ...(event.data as { decision: object }).decision, reasons: ['approved by nobody'] } } };
      if (subject === halm.nats.topology.ledgerSubject(truncated.tenantId) && event.height > 3) return null;
      return event;
    });
    const run = await check(OPERATOR_KEY);

    expect(failing(run)).toEqual(expect.arrayContaining(['DECISION_HASH_VALID', 'HASH_CHAIN_CONTINUOUS']));
    expect(codes(await incidentsOf(altered.adminKey))).toEqual(['DECISION_HASH_VALID/EVENT_HASH_MISMATCH']);
    expect((await incidentsOf(altered.adminKey))[0]!.evidence.events[0]).toMatchObject({ height: 3, hash: victimEvent.hash });
    const [cut] = await incidentsOf(truncated.adminKey);
    expect(cut).toMatchObject({ invariant: 'HASH_CHAIN_CONTINUOUS', evidence: { code: 'CHAIN_TRUNCATED', expected: 5, actual: 3, attestation: { source: 'checkpoint', treeSize: 5 } } });
    expect((await lockdownOf(altered.adminKey)).tenants).toMatchObject([{ trigger: 'HASH_CHAIN_FAILURE' }]);
    // the truncated tenant's ledger cannot be extended (its head is gone): the lockdown holds through the bucket
    expect((await lockdownOf(truncated.adminKey)).tenants).toMatchObject([{ trigger: 'HASH_CHAIN_FAILURE' }]);
    expect(await publicIntegrityBecomes({ invariantsPassing: false, hashChainValid: false, lockdownActive: true })).toMatchObject({ enforcementActive: true });

    await release(altered.adminKey, 'stream restored from the backup');
    // The cut chain's ledger cannot record the release (its head is gone until the ledger is restarted); the lockdown is lifted all the same.
    await release(truncated.adminKey, 'truncation investigated');
    expect((await lockdownOf(truncated.adminKey)).active).toBe(false);
  });
});

/**
 * What an operator with stream-admin rights could do: read every message of the ledger stream,
 * delete the stream, create it again and publish the messages back through `rewrite` (null
 * drops one), then put the durable consumers back with their configuration.
 */
const rewriteLedgerStream = async (halm: E2eStack, rewrite: (subject: string, event: LedgerEvent) => LedgerEvent | null): Promise<void> => {
  const { connection, topology } = halm.nats;
  const manager = await jetstreamManager(connection);
  const client = jetstream(connection);
  const last = (await manager.streams.info(topology.ledgerStream)).state.last_seq;
  const consumers: ConsumerConfig[] = [];
  for await (const consumer of manager.consumers.list(topology.ledgerStream)) if (consumer.config.durable_name) consumers.push(consumer.config);
  const messages: { subject: string; event: LedgerEvent }[] = [];
  const reader = await client.consumers.get(topology.ledgerStream, { deliver_policy: DeliverPolicy.All });
  for (let done = last === 0; !done; ) {
    const batch = await reader.fetch({ max_messages: 500, expires: 2_000 });
    for await (const message of batch) {
      messages.push({ subject: message.subject, event: message.json<LedgerEvent>() });
      if (message.seq >= last) done = true;
    }
  }
  await reader.delete().catch(() => undefined);
  await manager.streams.delete(topology.ledgerStream);
  await ensureLedgerStream(manager, topology);
  for (const { subject, event } of messages) {
    const rewritten = rewrite(subject, event);
    if (rewritten) await client.publish(subject, JSON.stringify(rewritten));
  }
  for (const config of consumers) await manager.consumers.add(topology.ledgerStream, config);
};
