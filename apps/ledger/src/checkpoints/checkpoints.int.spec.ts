import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { jetstreamManager } from '@nats-io/jetstream';
import type { AppendReply, AppendRequest, LedgerEvent } from '@halm/contracts';
import {
  buildLedgerExport,
  chain,
  DEFAULT_MANIFEST,
  eventLeafHash,
  merkleRoot,
  publicKeyOf,
  signingKeyFrom,
  type SignedCheckpoint,
  verifyCheckpoint,
  verifyingKeysFrom,
  verifyLedgerExport,
} from '@halm/domain';
import {
  CheckpointStore,
  connectNats,
  ensureCheckpointStream,
  ensureLedgerStream,
  LedgerStore,
  NATS_CONNECTION,
  NatsRequestServer,
  type PublicKeysReply,
  RpcClient,
  RpcError,
  TOPOLOGY,
} from '@halm/messaging';
import { migrate } from '@halm/persistence';
import { Metrics, ProblemDetailsFilter, readSettings, ServiceCoreModule } from '@halm/platform';
import { createTestDatabase, eventually, newSigningKey, openTestNats, testNatsUrl, type TestNats } from '@halm/testing';
import pino from 'pino';
import { LedgerModule } from '../ledger.module';
import { LedgerSettings } from '../ledger.settings';
import { CheckpointKeys } from './checkpoint-keys';
import { CheckpointPublisher } from './checkpoint-publisher';
import { TenantTrees } from './tenant-trees';

const openCheckpointNats = () =>
  openTestNats(async (connection, names) => {
    const manager = await jetstreamManager(connection);
    await ensureLedgerStream(manager, names);
    await ensureCheckpointStream(manager, names);
  });

const publicKeyOfSetting = (signingKey: string) => publicKeyOf(signingKeyFrom(signingKey));

/** The real ledger service in this process, as runService builds it, answering NATS requests on the test's namespace. */
const startLedger = async (nats: TestNats, environment: Record<string, string>) => {
  const database = await createTestDatabase(migrate);
  const settings = readSettings(LedgerSettings, { NATS_URL: testNatsUrl(), DATABASE_URL: database.url, HALM_NAMESPACE: nats.topology.namespace, ...environment });
  const logger = pino({ level: 'silent' });
  const metrics = new Metrics('ledger');

  @Module({})
  class RootModule {}

  const app = await NestFactory.create<NestFastifyApplication>(
    { module: RootModule, imports: [ServiceCoreModule.forRoot('ledger', settings, logger, metrics), LedgerModule] },
    new FastifyAdapter({ logger: false }),
    { logger: false },
  );
  app.useGlobalFilters(new ProblemDetailsFilter(logger));
  app.connectMicroservice({ strategy: new NatsRequestServer(app.get(NATS_CONNECTION), app.get(TOPOLOGY), 'ledger', metrics, logger) }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.init();
  return {
    [Symbol.asyncDispose]: async () => {
      await app.close();
      await database[Symbol.asyncDispose]();
    },
  };
};

const decision = (tenantId: string, proposalId: string): AppendRequest => ({
  tenantId,
  eventId: `${proposalId}.decision`,
  type: 'DecisionRecorded',
  recordedAt: '2026-03-15T10:00:00.000Z',
  data: {
    proposal: { proposalId, tenantId, type: 'task:create', payload: {}, context: {}, submittedAt: '2026-03-15T10:00:00.000Z' },
    decision: { proposalId, status: 'ALLOW', policy: { version: 1, hash: DEFAULT_MANIFEST.hash }, stateRead: {}, vetoDeadline: null },
  },
});

describe('the ledger’s signed checkpoints', () => {
  it('signs on demand, publishes on its schedule as the ledger grows, and the export of both verifies offline', async () => {
    await using nats = await openCheckpointNats();
    const signingKey = newSigningKey();
    const retiredKey = publicKeyOfSetting(newSigningKey());
    await using _ledger = await startLedger(nats, { LEDGER_SIGNING_KEY: signingKey, LEDGER_RETIRED_PUBLIC_KEYS: retiredKey, CHECKPOINT_INTERVAL_MS: '100' });
    const rpc = new RpcClient(nats.connection);
    const append = (proposalId: string) => rpc.request<AppendRequest, AppendReply>(nats.topology.appendSubject, decision('tenant-a', proposalId), 5_000);
    const requestCheckpoint = () => rpc.request<{ tenantId: string }, SignedCheckpoint>(nats.topology.checkpointRequestSubject, { tenantId: 'tenant-a' }, 5_000);
    const store = await LedgerStore.open(nats.connection, nats.topology);
    const checkpoints = await CheckpointStore.open(nats.connection, nats.topology);

    const { keys } = await rpc.request<Record<string, never>, PublicKeysReply>(nats.topology.publicKeysSubject, {}, 5_000);
    expect(keys).toEqual([
      { keyId: expect.stringMatching(/^[0-9a-f]{16}$/), publicKey: publicKeyOfSetting(signingKey), current: true },
      { keyId: expect.stringMatching(/^[0-9a-f]{16}$/), publicKey: retiredKey, current: false },
    ]);
    const verifyingKeys = verifyingKeysFrom(keys.map((key) => key.publicKey));

    await append('prop_1');
    await append('prop_2');
    const onDemand = await requestCheckpoint();
    const events = await store.read('tenant-a');
    expect(verifyCheckpoint(onDemand, verifyingKeys)).toEqual({ ok: true, checkpoint: onDemand });
    expect(onDemand).toMatchObject({ tenantId: 'tenant-a', treeSize: events.length, rootHash: merkleRoot(events.map(eventLeafHash)).toString('hex'), keyId: keys[0]?.keyId });
    expect((await checkpoints.latest('tenant-a'))?.checkpoint).toEqual(onDemand);

    await append('prop_3');
    const grown = (await store.read('tenant-a')).length;
    const scheduled = await eventually(async () => {
      const latest = await checkpoints.latest('tenant-a');
      return latest && latest.checkpoint.treeSize === grown ? latest.checkpoint : undefined;
    }, 10_000, 'the scheduled checkpoint');
    expect(verifyCheckpoint(scheduled, verifyingKeys).ok).toBe(true);

    const published = await checkpoints.readAll('tenant-a');
    expect(published.map((checkpoint) => checkpoint.treeSize)).toEqual([...published.map((checkpoint) => checkpoint.treeSize)].sort((a, b) => a - b));
    expect(new Set(published.map((checkpoint) => checkpoint.treeSize)).size).toBe(published.length);
    expect(published.map((checkpoint) => checkpoint.issuedAt)).toEqual([...published.map((checkpoint) => checkpoint.issuedAt)].sort());

    const exported = JSON.parse(JSON.stringify(buildLedgerExport('tenant-a', await store.read('tenant-a'), published, '2026-03-15T12:00:00.000Z')));
    expect(verifyLedgerExport(exported, verifyingKeys)).toMatchObject({ ok: true, provenSize: grown, problems: [] });
  });

  it('answers NOT_FOUND for a tenant without events and BAD_REQUEST for a malformed tenant id', async () => {
    await using nats = await openCheckpointNats();
    await using _ledger = await startLedger(nats, { LEDGER_SIGNING_KEY: newSigningKey(), CHECKPOINT_INTERVAL_MS: '0' });
    const rpc = new RpcClient(nats.connection);
    const refusal = (body: unknown) => rpc.request(nats.topology.checkpointRequestSubject, body, 5_000).then(() => null, (error: unknown) => error as RpcError);

    expect(await refusal({ tenantId: 'tenant-without-events' })).toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/no ledger events/) });
    expect(await refusal({ tenantId: 'tenant a' })).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/tenantId/) });
    expect(await refusal({})).toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('stores each tree once, in order, when two instances sign the same tenant at the same moment', async () => {
    await using nats = await openCheckpointNats();
    const settings = { LEDGER_SIGNING_KEY: newSigningKey(), LEDGER_RETIRED_PUBLIC_KEYS: '' } as LedgerSettings;
    const instance = async (name: string) => {
      const connection = await connectNats(testNatsUrl(), name);
      const store = await LedgerStore.open(connection, nats.topology);
      const publisher = new CheckpointPublisher(new TenantTrees(store), await CheckpointStore.open(connection, nats.topology), new CheckpointKeys(settings), pino({ level: 'silent' }));
      return { publisher, [Symbol.asyncDispose]: () => connection.close() };
    };
    await using first = await instance('ledger-1');
    await using second = await instance('ledger-2');
    const store = await LedgerStore.open(nats.connection, nats.topology);
    const appendEvents = async (count: number) => {
      for (let index = 0; index < count; index += 1) {
        const head = await store.head('tenant-a');
        const event: LedgerEvent = chain(head, { tenantId: 'tenant-a', eventId: `e${head.height + 1}`, type: 'DecisionRecorded', recordedAt: '2026-03-15T10:00:00.000Z', data: {} });
        await store.append(event, head.sequence, `tenant-a:${event.eventId}`);
      }
    };
    const signAtOnce = (now: Date) => Promise.all(Array.from({ length: 6 }, (_, index) => (index % 2 === 0 ? first : second).publisher.checkpointNow('tenant-a', now)));

    await appendEvents(3);
    const firstRound = await signAtOnce(new Date('2026-03-15T11:00:00.000Z'));
    await appendEvents(2);
    const secondRound = await Promise.all([first.publisher.publishDue(new Date('2026-03-15T11:01:00.000Z')), second.publisher.publishDue(new Date('2026-03-15T11:01:00.000Z'))]);

    const published = await (await CheckpointStore.open(nats.connection, nats.topology)).readAll('tenant-a');
    expect(published.map((checkpoint) => checkpoint.treeSize)).toEqual([3, 5]);
    expect(new Set(firstRound.map((checkpoint) => JSON.stringify(checkpoint)))).toEqual(new Set([JSON.stringify(published[0])]));
    expect(secondRound.reduce((sum, count) => sum + count, 0)).toBe(1);
  });
});
