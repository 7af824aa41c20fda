import type { LedgerEvent } from '@halm/contracts';
import { LedgerStore } from '@halm/messaging';
import { authorize, startE2eStack, type E2eStack } from './stack';

const PAYMENT = { type: 'ledger:write', payload: { amount: 1, recipient: 'acme' } };
const TOKENS = 80;
const WORKERS = 8;
// Engage once this many executions have started, so the stream is in full flow when it does.
const ENGAGE_AFTER = 15;

describe('a lockdown engaged during a steady stream of executions', () => {
  let halm: E2eStack;

  beforeAll(async () => {
    halm = await startE2eStack(['policy-evaluator', 'ledger', 'executor', 'executor', 'lockdown-controller', 'gateway']);
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
  });

  it('leaves no execution recorded after the engage event, over two executors', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');
    const adminKey = await halm.issueKey(tenantId, ['admin']);
    const tokens: string[] = [];
    for (let index = 0; index < TOKENS; index += 1) {
      const decision = (await (await authorize(halm.gatewayUrl, agentKey, { ...PAYMENT, context: { confidenceScore: 0.95, agentId: 'ops-bot' } })).json()) as { executionToken?: string };
      tokens.push(decision.executionToken!);
    }

    const statuses: number[] = [];
    let engage: Promise<Response> | undefined;
    const worker = async (workerIndex: number) => {
      for (let index = workerIndex; index < tokens.length; index += WORKERS) {
        const response = await fetch(`${halm.gatewayUrl}/api/kernel/execute`, {
          method: 'POST',
          headers: { authorization: `Bearer ${agentKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ executionToken: tokens[index], idempotencyKey: `stream-${index}`, action: PAYMENT }),
        });
        await response.arrayBuffer();
        statuses.push(response.status);
        if (!engage && statuses.filter((status) => status === 200).length >= ENGAGE_AFTER) {
          engage = fetch(`${halm.gatewayUrl}/api/admin/lockdown`, {
            method: 'POST',
            headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ scope: 'tenant', reason: 'engaged mid-stream' }),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, index) => worker(index)));
    expect((await engage)?.status).toBe(200);

    const events: LedgerEvent[] = await (await LedgerStore.open(halm.nats.connection, halm.nats.topology)).read(tenantId);
    const engaged = events.find((event) => event.type === 'LockdownEngaged');
    expect(engaged).toBeDefined();
    const started = events.filter((event) => event.type === 'ExecutionStarted');
    expect(started.filter((event) => event.height > engaged!.height)).toEqual([]);
    // the stream was really flowing on both sides of the engage event
    expect(started.length).toBeGreaterThanOrEqual(ENGAGE_AFTER);
    expect(statuses.filter((status) => status === 423).length).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 200 || status === 423)).toBe(true);
    expect(statuses.filter((status) => status === 200)).toHaveLength(started.length);
  });
});
