import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Decision, LedgerEvent } from '@halm/contracts';
import { chain, EMPTY_HEAD, SimulatedKernel, type ReplayReport, type SimulatedRequest, type WhatIfReport } from '@halm/domain';
import { ensureLedgerStream, LedgerStore } from '@halm/messaging';
import { createDataSource, migrate, TenantDirectory } from '@halm/persistence';
import { Metrics, ProblemDetailsFilter, readSettings, ServiceCoreModule } from '@halm/platform';
import { createTestDatabase, newSigningKey, openTestNats, testNatsUrl } from '@halm/testing';
import pino from 'pino';
import { GatewayModule } from '../gateway.module';
import { GatewaySettings } from '../gateway.settings';

const SPEND_MANIFEST = readFileSync(join(__dirname, '..', '..', '..', '..', 'libs', 'domain', 'src', 'replay', 'cases', 'spend-policy.yaml'), 'utf8');

const at = (minute: number) => new Date(Date.UTC(2026, 2, 15, 10, minute));

let counter = 0;
const pay = (amount: number, confidenceScore = 0.95): SimulatedRequest => ({
  proposalId: `prop_pay_${(counter += 1)}`,
  type: 'ledger:write',
  payload: { amount, recipient: 'acme' },
  context: { confidenceScore, agentId: 'billing' },
});

/** An honest history of a tenant as the kernel records it: allowed and denied payments, one approved, a budget warning and denial. */
const historyOf = (tenantId: string): LedgerEvent[] => {
  const kernel = new SimulatedKernel(tenantId);
  kernel.authorize({ proposalId: `prop_task_${tenantId}`, type: 'task:create', payload: { title: 'call back' }, context: { confidenceScore: 0.9 } }, at(0));
  kernel.changePolicy(SPEND_MANIFEST, at(1));
  kernel.authorize(pay(500), at(2));
  kernel.authorize(pay(400, 0.85), at(3));
  kernel.authorize(pay(200), at(4));
  kernel.authorize(pay(50, 0.1), at(5));
  const large = kernel.authorize(pay(6000), at(6));
  if (large.status === 'REQUIRE_HUMAN') kernel.approve(large.proposalId, at(7));
  return kernel.events;
};

/** The history with one decision's status changed and the chain hashed again from there on, as a forger with write access to the stream would leave it. */
const doctoredCopy = (events: LedgerEvent[], status: Decision['status']): { events: LedgerEvent[]; height: number } => {
  const copy = JSON.parse(JSON.stringify(events)) as LedgerEvent[];
  const target = copy.find((event) => event.type === 'DecisionRecorded' && (event.data as { decision: Decision }).decision.status !== status && (event.data as { decision: Decision }).decision.policy.version === 2)!;
  (target.data as { decision: Decision }).decision.status = status;
  const rechained: LedgerEvent[] = [];
  for (const event of copy) rechained.push(chain(rechained.at(-1) ?? EMPTY_HEAD, event));
  return { events: rechained, height: target.height };
};

const startGateway = async () => {
  const database = await createTestDatabase(migrate);
  const nats = await openTestNats(async (connection, names) => ensureLedgerStream(await jetstreamManager(connection), names));
  const dataSource = await createDataSource(database.url, 2).initialize();
  const directory = new TenantDirectory(dataSource);
  const store = await LedgerStore.open(nats.connection, nats.topology);
  const settings = readSettings(GatewaySettings, { EXECUTION_TOKEN_SIGNING_KEY: newSigningKey(), NATS_URL: testNatsUrl(), DATABASE_URL: database.url, HALM_NAMESPACE: nats.topology.namespace });
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
    /** Puts events on the tenant's ledger subject as the ledger would have appended them. */
    record: async (events: LedgerEvent[]) => {
      for (const event of events) {
        const head = await store.head(event.tenantId);
        await store.append(event, head.sequence, `${event.tenantId}:${event.eventId}`);
      }
    },
    post: async <T>(path: string, key: string, body: unknown): Promise<{ status: number; body: T }> => {
      const response = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as T };
    },
    [Symbol.asyncDispose]: async () => {
      await app.close();
      await dataSource.destroy();
      await nats[Symbol.asyncDispose]();
      await database[Symbol.asyncDispose]();
    },
  };
};

type Problem = { status: number; invalidParams?: { name: string; reason: string }[]; requiredRoles?: string[] };

describe('replay and what-if through the real gateway', () => {
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  const honest = historyOf('tenant-honest');
  const doctored = doctoredCopy(historyOf('tenant-doctored'), 'ALLOW');
  const keys = { auditor: '', admin: '', agent: '', doctoredAuditor: '', emptyAuditor: '' };

  beforeAll(async () => {
    gateway = await startGateway();
    for (const [name, id] of [['honest', 'tenant-honest'], ['doctored', 'tenant-doctored'], ['empty', 'tenant-empty']] as const) await gateway.directory.createTenant(name, id);
    keys.auditor = (await gateway.directory.issueKey('tenant-honest', ['auditor'])).secret;
    keys.admin = (await gateway.directory.issueKey('tenant-honest', ['admin'])).secret;
    keys.agent = (await gateway.directory.issueKey('tenant-honest', ['agent'])).secret;
    keys.doctoredAuditor = (await gateway.directory.issueKey('tenant-doctored', ['auditor'])).secret;
    keys.emptyAuditor = (await gateway.directory.issueKey('tenant-empty', ['auditor'])).secret;
    await gateway.record(honest);
    await gateway.record(doctored.events);
  });

  afterAll(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });

  const decisions = (events: LedgerEvent[]) => events.filter((event) => event.type === 'DecisionRecorded');

  it('passes every decision of an honest ledger, for an auditor and an admin key alike', async () => {
    const asAuditor = await gateway.post<ReplayReport>('/api/audit/replay', keys.auditor, {});
    const asAdmin = await gateway.post<ReplayReport>('/api/audit/replay', keys.admin, {});

    expect(asAuditor.status).toBe(200);
    expect(asAuditor.body.summary).toEqual({ total: decisions(honest).length, pass: decisions(honest).length, fail: 0, unknown: 0 });
    expect(asAuditor.body.results.map((result) => result.height)).toEqual(decisions(honest).map((event) => event.height));
    expect(asAdmin.body).toEqual(asAuditor.body);
  });

  it('fails the decision whose recorded status was altered, naming the field, and only that one', async () => {
    const replay = await gateway.post<ReplayReport>('/api/audit/replay', keys.doctoredAuditor, {});

    expect(replay.body.summary).toMatchObject({ fail: 1, unknown: 0 });
    expect(replay.body.results.filter((result) => result.verdict === 'FAIL')).toEqual([
      { proposalId: expect.any(String), height: doctored.height, verdict: 'FAIL', differences: [expect.objectContaining({ field: 'status', recorded: 'ALLOW' })], reason: expect.any(String) },
    ]);
  });

  it('reports only the decisions of a height range', async () => {
    const spend = decisions(honest).filter((event) => (event.data as { decision: Decision }).decision.policy.version === 2);

    const replay = await gateway.post<ReplayReport>('/api/audit/replay', keys.auditor, { fromHeight: spend[1]!.height, toHeight: spend[2]!.height });

    expect(replay.body).toEqual({ summary: { total: 2, pass: 2, fail: 0, unknown: 0 }, results: [spend[1]!, spend[2]!].map((event) => expect.objectContaining({ height: event.height, verdict: 'PASS' })) });
  });

  it('answers an empty report for a tenant without events, never another tenant’s', async () => {
    const replay = await gateway.post<ReplayReport>('/api/audit/replay', keys.emptyAuditor, {});

    expect(replay).toEqual({ status: 200, body: { summary: { total: 0, pass: 0, fail: 0, unknown: 0 }, results: [] } });
  });

  it('lists the decisions a stricter candidate would change, given as YAML source', async () => {
    const candidate = SPEND_MANIFEST.replace('autoCommitThreshold: 0.8', 'autoCommitThreshold: 0.9');

    const answer = await gateway.post<WhatIfReport>('/api/audit/what-if', keys.auditor, { source: candidate });

    expect(answer.status).toBe(200);
    expect(answer.body.summary.examined).toBe(decisions(honest).length);
    // the payment at confidence 0.85 waits for a human; every other allowed one names the new threshold
    expect(answer.body.changes.find((change) => change.recorded.reasons.some((reason) => reason.startsWith('Confidence 0.85')))?.candidate).toEqual({
      status: 'REQUIRE_HUMAN',
      reasons: ['Confidence 0.85 is below auto-commit threshold 0.9', 'Budget agent-spend would reach 900 of 1,000 (warning at 800)'],
      constraints: { maxRetries: 2 },
    });
    expect(answer.body.changes.every((change) => change.candidate.status !== 'ALLOW' || change.candidate.reasons.some((reason) => reason.includes('threshold 0.9')))).toBe(true);
  });

  it('changes nothing against the manifest the decisions were taken with', async () => {
    const spend = decisions(honest).filter((event) => (event.data as { decision: Decision }).decision.policy.version === 2);

    const answer = await gateway.post<WhatIfReport>('/api/audit/what-if', keys.auditor, { source: SPEND_MANIFEST, fromHeight: spend[0]!.height });

    expect(answer.body).toEqual({ summary: { examined: spend.length, changed: 0 }, changes: [] });
  });

  it.each([
    [{ fromHeight: 0 }, 'fromHeight'],
    [{ fromHeight: 'one' }, 'fromHeight'],
    [{ toHeight: 2.5 }, 'toHeight'],
    [{ fromHeight: 5, toHeight: 4 }, 'toHeight'],
  ])('answers 400 naming the field for a replay of %j', async (body, name) => {
    const answer = await gateway.post<Problem>('/api/audit/replay', keys.auditor, body);

    expect(answer.status).toBe(400);
    expect(answer.body.invalidParams).toEqual([{ name, reason: expect.any(String) }]);
  });

  it('answers 400 with the CEL error for a candidate that does not compile, and for none at all', async () => {
    const broken = await gateway.post<Problem>('/api/audit/what-if', keys.auditor, { manifest: { autoCommitThreshold: 0.8, rules: [{ id: 'r', actionTypes: ['*'], effect: 'ALLOW', when: 'payload.amount >', reason: 'x' }] } });
    const missing = await gateway.post<Problem>('/api/audit/what-if', keys.auditor, {});
    const notAnObject = await gateway.post<Problem>('/api/audit/what-if', keys.auditor, { manifest: 'rules: []' });

    expect(broken.status).toBe(400);
    expect(broken.body.invalidParams).toEqual([{ name: 'manifest.rules.0.when', reason: expect.stringMatching(/CEL/) }]);
    expect(missing.body.invalidParams).toEqual([{ name: 'manifest', reason: 'manifest or source is required' }]);
    expect(notAnObject.body.invalidParams).toEqual([{ name: 'manifest', reason: expect.stringContaining('must be a JSON object') }]);
  });

  it('refuses a key without the auditor or admin role', async () => {
    const answer = await gateway.post<Problem>('/api/audit/replay', keys.agent, {});

    expect(answer.status).toBe(403);
    expect(answer.body.requiredRoles).toEqual(['auditor', 'admin']);
  });
});
