import { generateKeyPairSync } from 'node:crypto';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LedgerEvent } from '@halm/contracts';
import {
  chain,
  EMPTY_HEAD,
  eventLeafHash,
  merkleRoot,
  publicKeyOf,
  signCheckpoint,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
  verifyingKeyFrom,
  type SignedCheckpoint,
} from '@halm/domain';
import { CheckpointProjection, createDataSource, migrate, ProposalProjection, TenantDirectory } from '@halm/persistence';
import { Metrics, ProblemDetailsFilter, readSettings, ServiceCoreModule } from '@halm/platform';
import { createTestDatabase, newSigningKey, openTestNats, publicKeyOfSigningKey, testNatsUrl } from '@halm/testing';
import pino from 'pino';
import { GatewayModule } from '../gateway.module';
import { GatewaySettings } from '../gateway.settings';
import type { AuditEventPage, AuditEventWithProof, AuditKeysView, ConsistencyProofView } from './audit.controller';

const CHECKPOINT_KEY = generateKeyPairSync('ed25519').privateKey;
const CHECKPOINT_KEY_ID = 'checkpoint-key-1';

/** `count` events of a tenant, chained as the ledger chains them: decisions and approvals, alternating. */
const historyOf = (tenantId: string, count: number): LedgerEvent[] => {
  const events: LedgerEvent[] = [];
  for (let index = 0; index < count; index += 1) {
    const proposalId = `prop_${tenantId}_${Math.floor(index / 2)}`;
    const recordedAt = new Date(Date.UTC(2026, 2, 15, 10, 0, index)).toISOString();
    const last = events.at(-1);
    events.push(
      chain(last ? { height: last.height, hash: last.hash } : EMPTY_HEAD, {
        tenantId,
        eventId: `e${index + 1}`,
        recordedAt,
        ...(index % 2 === 0
          ? {
              type: 'DecisionRecorded' as const,
              data: {
                proposal: { proposalId, tenantId, type: 'task:create', payload: { title: `task ${index}` }, context: {}, submittedAt: recordedAt },
                decision: { proposalId, status: 'REQUIRE_HUMAN', allowed: false, reasons: [], constraints: {}, vetoDeadline: null, humanApprovalRequired: true, decidedAt: recordedAt, policy: { version: 1, hash: 'h' }, matchedRules: [], stateRead: {} },
              },
            }
          : { type: 'ProposalApproved' as const, data: { proposalId, by: { kind: 'key', id: 'key_approver' }, reason: 'ok' } }),
      }),
    );
  }
  return events;
};

const checkpointOf = (events: LedgerEvent[], treeSize: number): SignedCheckpoint =>
  signCheckpoint(
    { tenantId: events[0]!.tenantId, treeSize, rootHash: merkleRoot(events.slice(0, treeSize).map(eventLeafHash)).toString('hex'), issuedAt: events[treeSize - 1]!.recordedAt },
    CHECKPOINT_KEY,
    CHECKPOINT_KEY_ID,
  );

const fromHex = (hashes: string[]) => hashes.map((hash) => Buffer.from(hash, 'hex'));

/**
 * The real GatewayModule on real NATS and PostgreSQL, over projections filled as the ledger's
 * projectors fill them. A responder on the ledger's checkpoint and public-key subjects stands
 * in for the ledger service: it signs the tenant's whole tree, stores the checkpoint as the
 * checkpoint projection would, and lists its key.
 */
const startGateway = async () => {
  const database = await createTestDatabase(migrate);
  const nats = await openTestNats();
  const dataSource = await createDataSource(database.url, 4).initialize();
  const directory = new TenantDirectory(dataSource);
  const projection = new ProposalProjection(dataSource);
  const checkpoints = new CheckpointProjection(dataSource);
  const ledgers = new Map<string, LedgerEvent[]>();
  const signedOnDemand: SignedCheckpoint[] = [];
  nats.connection.subscribe(nats.topology.checkpointRequestSubject, {
    callback: (_error, message) => {
      const { tenantId } = message.json<{ tenantId: string }>();
      const events = ledgers.get(tenantId) ?? [];
      if (events.length === 0) {
        message.respond(JSON.stringify({ ok: false, error: { code: 'NOT_FOUND', message: `tenant ${tenantId} has no ledger events` } }));
        return;
      }
      const checkpoint = checkpointOf(events, events.length);
      signedOnDemand.push(checkpoint);
      void checkpoints.apply([checkpoint]).then(() => message.respond(JSON.stringify({ ok: true, value: checkpoint })));
    },
  });
  nats.connection.subscribe(nats.topology.publicKeysSubject, {
    callback: (_error, message) => {
      message.respond(JSON.stringify({ ok: true, value: { keys: [{ keyId: CHECKPOINT_KEY_ID, publicKey: publicKeyOf(CHECKPOINT_KEY), current: true }] } }));
    },
  });
  const signingKey = newSigningKey();
  const settings = readSettings(GatewaySettings, {
    EXECUTION_TOKEN_SIGNING_KEY: signingKey,
    NATS_URL: testNatsUrl(),
    DATABASE_URL: database.url,
    HALM_NAMESPACE: nats.topology.namespace,
    APPEND_TIMEOUT_MS: '2000',
  });
  const logger = pino({ level: 'silent' });

  @Module({})
  class RootModule {}

  const app = await NestFactory.create<NestFastifyApplication>(
    { module: RootModule, imports: [ServiceCoreModule.forRoot('gateway', settings, logger, new Metrics('gateway')), GatewayModule] },
    new FastifyAdapter({ logger: false }),
    { logger: false },
  );
  app.useGlobalFilters(new ProblemDetailsFilter(logger));
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  return {
    directory,
    executionTokenPublicKey: publicKeyOfSigningKey(signingKey),
    signedOnDemand,
    /** Records a tenant's history as the ledger and its projectors would. */
    record: async (events: LedgerEvent[], treeSizes: number[]) => {
      ledgers.set(events[0]!.tenantId, events);
      await projection.apply(events);
      await checkpoints.apply(treeSizes.map((size) => checkpointOf(events, size)));
    },
    call: async (method: string, path: string, key: string) => {
      const response = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${key}` } });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    [Symbol.asyncDispose]: async () => {
      await app.close();
      await dataSource.destroy();
      await nats[Symbol.asyncDispose]();
      await database[Symbol.asyncDispose]();
    },
  };
};

describe('the auditor API of the real gateway', () => {
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  const acme = historyOf('tenant-a', 12);
  const globex = historyOf('tenant-b', 3);
  const keys = { auditor: '', admin: '', agent: '', otherAuditor: '' };

  beforeAll(async () => {
    gateway = await startGateway();
    await gateway.directory.createTenant('acme', 'tenant-a');
    await gateway.directory.createTenant('globex', 'tenant-b');
    keys.auditor = (await gateway.directory.issueKey('tenant-a', ['auditor'])).secret;
    keys.admin = (await gateway.directory.issueKey('tenant-a', ['admin'])).secret;
    keys.agent = (await gateway.directory.issueKey('tenant-a', ['agent', 'approver'])).secret;
    keys.otherAuditor = (await gateway.directory.issueKey('tenant-b', ['auditor'])).secret;
    await gateway.record(acme, [5, 10]);
    await gateway.record(globex, []);
  });

  afterAll(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });

  const get = (path: string, key = keys.auditor) => gateway.call('GET', path, key);

  /** Checks a proof the way an auditor would: the checkpoint's signature with the listed key, then the path with the independent verifier. */
  const verifies = async (answer: AuditEventWithProof): Promise<boolean> => {
    const listed = (await get('/api/audit/keys')).body as unknown as AuditKeysView;
    const verifyingKeys = new Map(listed.checkpointKeys.map((key) => [key.keyId, verifyingKeyFrom(key.publicKey)]));
    const checkpoint = verifyCheckpoint(answer.checkpoint, verifyingKeys);
    if (!checkpoint.ok) return false;
    const leaf = eventLeafHash(answer.event);
    return (
      leaf.toString('hex') === answer.leafHash &&
      answer.proof.treeSize === checkpoint.checkpoint.treeSize &&
      verifyInclusion(leaf, answer.proof.leafIndex, answer.proof.treeSize, fromHex(answer.proof.hashes), Buffer.from(checkpoint.checkpoint.rootHash, 'hex'))
    );
  };

  it('lists a range of events with their leaf hashes, a page at a time', async () => {
    const all = await get('/api/audit/events');
    const range = await get('/api/audit/events?fromHeight=3&toHeight=5');

    expect(all.status).toBe(200);
    expect(all.body).toEqual({ events: acme.map((event) => ({ event, leafHash: eventLeafHash(event).toString('hex') })), next: null, projectedHeight: 12 });
    expect((range.body as unknown as AuditEventPage).events.map((entry) => entry.event.height)).toEqual([3, 4, 5]);
    expect(range.body['next']).toBeNull();
    expect((await get('/api/audit/events?fromHeight=13')).body).toEqual({ events: [], next: null, projectedHeight: 12 });
  });

  it('caps a page at 500 events and says where the next one starts', async () => {
    const long = historyOf('tenant-c', 502);
    await gateway.directory.createTenant('initech', 'tenant-c');
    const key = (await gateway.directory.issueKey('tenant-c', ['auditor'])).secret;
    await gateway.record(long, []);

    const first = (await get('/api/audit/events', key)).body as unknown as AuditEventPage;
    const second = (await get(`/api/audit/events?fromHeight=${first.next}`, key)).body as unknown as AuditEventPage;

    expect(first.events).toHaveLength(500);
    expect(first.next).toBe(501);
    expect(second.events.map((entry) => entry.event.height)).toEqual([501, 502]);
    expect(second.next).toBeNull();
  });

  it.each([
    ['fromHeight=0', 'fromHeight'],
    ['fromHeight=abc', 'fromHeight'],
    ['toHeight=-3', 'toHeight'],
    ['fromHeight=5&toHeight=4', 'toHeight'],
    ['toHeight=99999999999', 'toHeight'],
  ])('answers 400 naming the parameter for events?%s', async (query, name) => {
    const response = await get(`/api/audit/events?${query}`);

    expect(response.status).toBe(400);
    expect(response.body['invalidParams']).toEqual([{ name, reason: expect.any(String) }]);
  });

  it('proves an event against the latest checkpoint that holds it, or against the checkpoint of a given size', async () => {
    const latest = (await get('/api/audit/events/3')).body as unknown as AuditEventWithProof;
    const older = (await get('/api/audit/events/3?treeSize=5')).body as unknown as AuditEventWithProof;

    expect(latest.event).toEqual(acme[2]);
    expect(latest.checkpoint).toEqual(checkpointOf(acme, 10));
    expect(latest.proof).toMatchObject({ leafIndex: 2, treeSize: 10 });
    expect(await verifies(latest)).toBe(true);
    expect(older.checkpoint.treeSize).toBe(5);
    expect(await verifies(older)).toBe(true);
    // The verifier is not vacuous: another event does not pass with this proof.
    expect(await verifies({ ...latest, event: acme[3]!, leafHash: eventLeafHash(acme[3]!).toString('hex') })).toBe(false);
  });

  it('has the ledger sign a checkpoint on demand when none holds the event yet', async () => {
    const before = gateway.signedOnDemand.length;

    const response = await get('/api/audit/events/11');

    expect(response.status).toBe(200);
    const answer = response.body as unknown as AuditEventWithProof;
    expect(answer.checkpoint.treeSize).toBe(12);
    expect(gateway.signedOnDemand.length).toBe(before + 1);
    expect(await verifies(answer)).toBe(true);
  });

  it.each([
    ['/api/audit/events/13', 404, undefined],
    ['/api/audit/events/3?treeSize=7', 404, undefined],
    ['/api/audit/events/3?treeSize=2', 400, 'treeSize'],
    ['/api/audit/events/0', 400, 'height'],
    ['/api/audit/events/three', 400, 'height'],
  ])('answers %s with %d', async (path, status, name) => {
    const response = await get(path);

    expect(response.status).toBe(status);
    if (name) expect(response.body['invalidParams']).toEqual([{ name, reason: expect.any(String) }]);
  });

  it('lists the checkpoints largest tree first, a page at a time, and signs one on demand', async () => {
    const signed = await gateway.call('POST', '/api/audit/checkpoints', keys.admin);
    const latest = await get('/api/audit/checkpoints/latest');
    const first = await get('/api/audit/checkpoints?limit=2');
    const rest = await get(`/api/audit/checkpoints?limit=2&before=${encodeURIComponent(String(first.body['next']))}`);

    expect(signed.status).toBe(201);
    expect(signed.body).toEqual(checkpointOf(acme, 12));
    expect(latest.body).toEqual(signed.body);
    expect((first.body['checkpoints'] as SignedCheckpoint[]).map((checkpoint) => checkpoint.treeSize)).toEqual([12, 10]);
    expect(rest.body).toEqual({ checkpoints: [checkpointOf(acme, 5)], next: null });
    expect((await get('/api/audit/checkpoints?before=x')).body['invalidParams']).toEqual([{ name: 'before', reason: expect.any(String) }]);
    expect((await get('/api/audit/checkpoints?limit=500')).body['invalidParams']).toEqual([{ name: 'limit', reason: expect.any(String) }]);
  });

  it('proves two checkpoints consistent', async () => {
    const response = await get('/api/audit/consistency?fromSize=5&toSize=10');
    const proof = response.body as unknown as ConsistencyProofView;

    expect(response.status).toBe(200);
    expect(proof.fromCheckpoint).toEqual(checkpointOf(acme, 5));
    expect(proof.toCheckpoint).toEqual(checkpointOf(acme, 10));
    const roots = [proof.fromCheckpoint!, proof.toCheckpoint!].map((checkpoint) => Buffer.from(checkpoint.rootHash, 'hex'));
    expect(verifyConsistency(5, 10, roots[0]!, roots[1]!, fromHex(proof.hashes))).toBe(true);
    expect(verifyConsistency(5, 10, roots[1]!, roots[0]!, fromHex(proof.hashes))).toBe(false);
    const toLatest = (await get('/api/audit/consistency?fromSize=3')).body as unknown as ConsistencyProofView;
    expect(toLatest).toMatchObject({ fromSize: 3, toSize: 12, fromCheckpoint: null });
    const root3 = merkleRoot(acme.slice(0, 3).map(eventLeafHash));
    expect(verifyConsistency(3, 12, root3, Buffer.from(toLatest.toCheckpoint!.rootHash, 'hex'), fromHex(toLatest.hashes))).toBe(true);
  });

  it.each([
    ['', 'fromSize'],
    ['fromSize=6&toSize=5', 'toSize'],
    ['fromSize=1&toSize=13', 'toSize'],
    ['fromSize=1.5', 'fromSize'],
  ])('answers 400 naming the parameter for consistency?%s', async (query, name) => {
    const response = await get(`/api/audit/consistency?${query}`);

    expect(response.status).toBe(400);
    expect(response.body['invalidParams']).toEqual([{ name, reason: expect.any(String) }]);
  });

  it('lists the checkpoint keys and the execution token key', async () => {
    const response = await get('/api/audit/keys');

    expect(response.body).toEqual({
      checkpointKeys: [{ keyId: CHECKPOINT_KEY_ID, publicKey: publicKeyOf(CHECKPOINT_KEY), current: true }],
      executionTokenKeys: [{ keyId: expect.stringMatching(/^[0-9a-f]{16}$/), publicKey: gateway.executionTokenPublicKey, current: true }],
    });
  });

  it('refuses a key without the auditor or admin role', async () => {
    for (const path of ['/api/audit/events', '/api/audit/events/1', '/api/audit/checkpoints', '/api/audit/checkpoints/latest', '/api/audit/consistency?fromSize=1', '/api/audit/keys']) {
      const response = await get(path, keys.agent);
      expect(response.status).toBe(403);
      expect(response.body['requiredRoles']).toEqual(['auditor', 'admin']);
    }
    expect((await gateway.call('POST', '/api/audit/checkpoints', keys.agent)).status).toBe(403);
  });

  it('shows another tenant nothing of this one', async () => {
    const events = (await get('/api/audit/events', keys.otherAuditor)).body as unknown as AuditEventPage;

    expect(events.projectedHeight).toBe(3);
    expect(events.events.map((entry) => entry.event)).toEqual(globex);
    expect((await get('/api/audit/events/5', keys.otherAuditor)).status).toBe(404);
    expect((await get('/api/audit/events/1?treeSize=5', keys.otherAuditor)).status).toBe(404);
    expect((await get('/api/audit/checkpoints', keys.otherAuditor)).body).toEqual({ checkpoints: [], next: null });
    expect((await get('/api/audit/checkpoints/latest', keys.otherAuditor)).status).toBe(404);
    expect((await get('/api/audit/consistency?fromSize=5&toSize=10', keys.otherAuditor)).status).toBe(400);
  });
});
