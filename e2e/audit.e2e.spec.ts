import type { ExecutionView, LedgerEvent } from '@halm/contracts';
import { eventLeafHash, verifyChain, verifyCheckpoint, verifyConsistency, verifyInclusion, verifyingKeyFrom, type SignedCheckpoint } from '@halm/domain';
import { eventually } from '@halm/testing';
import { authorize, startE2eStack, type E2eStack } from './stack';

interface EventPage {
  events: { event: LedgerEvent; leafHash: string }[];
  next: number | null;
  projectedHeight: number;
}
interface EventWithProof {
  event: LedgerEvent;
  leafHash: string;
  proof: { leafIndex: number; treeSize: number; hashes: string[] };
  checkpoint: SignedCheckpoint;
}

const CONFIDENT = { confidenceScore: 0.95, agentId: 'ops-bot' };
const TASK = { type: 'task:create', payload: { title: 'call the customer back' } };

const fromHex = (hashes: string[]) => hashes.map((hash) => Buffer.from(hash, 'hex'));

describe('auditing a tenant’s ledger through the gateway', () => {
  let halm: E2eStack;

  beforeAll(async () => {
    // Checkpoints only on demand: every checkpoint the test sees is one it asked for.
    halm = await startE2eStack(['policy-evaluator', 'ledger', 'executor', 'gateway'], { CHECKPOINT_INTERVAL_MS: '0' });
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
  });

  const call = async <T>(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${halm.gatewayUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  /** The tenant's events once the projection holds at least `count`. */
  const eventsOnceProjected = (key: string, count: number) =>
    eventually(
      async () => {
        const page = await call<EventPage>('GET', '/api/audit/events', key);
        return page.body.projectedHeight >= count ? page.body.events.map((entry) => entry.event) : undefined;
      },
      10_000,
      `${count} events projected`,
    );

  const verifyingKeys = async (key: string) => {
    const keys = await call<{ checkpointKeys: { keyId: string; publicKey: string }[] }>('GET', '/api/audit/keys', key);
    expect(keys.status).toBe(200);
    return new Map(keys.body.checkpointKeys.map((entry) => [entry.keyId, verifyingKeyFrom(entry.publicKey)]));
  };

  it('proves to an auditor, with the ledger’s public key alone, that an execution is in the ledger', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const auditorKey = await halm.issueKey(tenantId, ['auditor']);
    const decision = (await (await authorize(halm.gatewayUrl, agentKey, { ...TASK, context: CONFIDENT })).json()) as { status: string; executionToken: string };
    expect(decision.status).toBe('ALLOW');
    const executed = await call<ExecutionView>('POST', '/api/kernel/execute', agentKey, { executionToken: decision.executionToken, idempotencyKey: 'callback-1', action: TASK });
    expect(executed.status).toBe(200);

    const events = await eventsOnceProjected(auditorKey, executed.body.started.height);
    expect(verifyChain(events)).toEqual([]);
    const started = events.find((event) => event.type === 'ExecutionStarted')!;
    expect(started.data).toMatchObject({ executionId: executed.body.executionId, idempotencyKey: 'callback-1' });
    // No checkpoint holds it yet: the ledger signs one on demand.
    const answer = await call<EventWithProof>('GET', `/api/audit/events/${started.height}`, auditorKey);

    expect(answer.status).toBe(200);
    expect(answer.body.event).toEqual(started);
    const checkpoint = verifyCheckpoint(answer.body.checkpoint, await verifyingKeys(auditorKey));
    expect(checkpoint.ok).toBe(true);
    expect(answer.body.checkpoint).toMatchObject({ tenantId, treeSize: events.length });
    const leaf = eventLeafHash(started);
    expect(answer.body.leafHash).toBe(leaf.toString('hex'));
    expect(verifyInclusion(leaf, started.height - 1, answer.body.proof.treeSize, fromHex(answer.body.proof.hashes), Buffer.from(answer.body.checkpoint.rootHash, 'hex'))).toBe(true);
    expect(verifyInclusion(eventLeafHash(events[0]!), started.height - 1, answer.body.proof.treeSize, fromHex(answer.body.proof.hashes), Buffer.from(answer.body.checkpoint.rootHash, 'hex'))).toBe(false);
  });

  it('proves a later checkpoint consistent with an earlier one', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const auditorKey = await halm.issueKey(tenantId, ['auditor']);
    await authorize(halm.gatewayUrl, agentKey, { ...TASK, context: CONFIDENT });
    const first = await call<SignedCheckpoint>('POST', '/api/audit/checkpoints', auditorKey);
    await authorize(halm.gatewayUrl, agentKey, { ...TASK, context: CONFIDENT });
    await authorize(halm.gatewayUrl, agentKey, { ...TASK, context: { confidenceScore: 0.1 } });
    const second = await call<SignedCheckpoint>('POST', '/api/audit/checkpoints', auditorKey);
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.treeSize).toBe(first.body.treeSize + 2);

    const latest = await eventually(
      async () => {
        const response = await call<SignedCheckpoint>('GET', '/api/audit/checkpoints/latest', auditorKey);
        return response.status === 200 && response.body.treeSize === second.body.treeSize ? response.body : undefined;
      },
      10_000,
      'the second checkpoint projected',
    );
    const proof = await call<{ hashes: string[]; fromCheckpoint: SignedCheckpoint; toCheckpoint: SignedCheckpoint }>(
      'GET',
      `/api/audit/consistency?fromSize=${first.body.treeSize}&toSize=${second.body.treeSize}`,
      auditorKey,
    );

    expect(latest).toEqual(second.body);
    expect(proof.status).toBe(200);
    const keys = await verifyingKeys(auditorKey);
    expect([verifyCheckpoint(proof.body.fromCheckpoint, keys).ok, verifyCheckpoint(proof.body.toCheckpoint, keys).ok]).toEqual([true, true]);
    expect(proof.body.toCheckpoint).toEqual(second.body);
    const [oldRoot, newRoot] = [first.body, second.body].map((checkpoint) => Buffer.from(checkpoint.rootHash, 'hex'));
    expect(verifyConsistency(first.body.treeSize, second.body.treeSize, oldRoot!, newRoot!, fromHex(proof.body.hashes))).toBe(true);
    const listed = await call<{ checkpoints: SignedCheckpoint[] }>('GET', '/api/audit/checkpoints', auditorKey);
    expect(listed.body.checkpoints.map((checkpoint) => checkpoint.treeSize)).toEqual([second.body.treeSize, first.body.treeSize]);
  });

  it('refuses an agent key, and shows an auditor of another tenant nothing', async () => {
    const acme = await halm.createTenant('acme');
    const globex = await halm.createTenant('globex');
    const acmeAuditor = await halm.issueKey(acme.tenantId, ['auditor']);
    const globexAuditor = await halm.issueKey(globex.tenantId, ['auditor']);
    await authorize(halm.gatewayUrl, acme.agentKey, { ...TASK, context: CONFIDENT });
    const acmeEvents = await eventsOnceProjected(acmeAuditor, 3);

    const forbidden = await call<{ requiredRoles: string[] }>('GET', '/api/audit/events', acme.agentKey);
    const otherEvents = await call<EventPage>('GET', '/api/audit/events', globexAuditor);
    const otherEvent = await call('GET', `/api/audit/events/${acmeEvents.length}`, globexAuditor);
    const otherCheckpoint = await call('POST', '/api/audit/checkpoints', globexAuditor);

    expect(forbidden.status).toBe(403);
    expect(forbidden.body.requiredRoles).toEqual(['auditor', 'admin']);
    expect(otherEvents.body).toEqual({ events: [], next: null, projectedHeight: 0 });
    expect(otherEvent.status).toBe(404);
    expect(otherCheckpoint.status).toBe(404);
  });
});
