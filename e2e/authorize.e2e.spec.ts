import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LedgerEvent } from '@halm/contracts';
import { actionDigest, verifyChain } from '@halm/domain';
import { LedgerStore } from '@halm/messaging';
import { eventually, stopProcesses } from '@halm/testing';
import { authorize, startE2eStack, type E2eStack } from './stack';

// The quickstart seed's request, byte for byte what its Python snippet sends.
const SEED_REQUEST = { type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, context: { confidenceScore: 0.92 } };

/** A minimal OTLP/HTTP receiver: collects the spans every service exports, as JSON. */
const startSpanReceiver = async () => {
  const spans: { service: string; traceId: string; name: string }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { traceId: string; name: string }[] }[] }[];
      };
      for (const resourceSpans of body.resourceSpans) {
        const service = resourceSpans.resource.attributes.find((attribute) => attribute.key === 'service.name')?.value.stringValue ?? '';
        for (const scope of resourceSpans.scopeSpans) for (const span of scope.spans) spans.push({ service, traceId: span.traceId, name: span.name });
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, close: () => new Promise((resolve) => server.close(resolve)) };
};

describe('POST /api/kernel/authorize through the six services', () => {
  let halm: E2eStack;
  let receiver: Awaited<ReturnType<typeof startSpanReceiver>>;

  beforeAll(async () => {
    receiver = await startSpanReceiver();
    halm = await startE2eStack(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' });
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
    await receiver?.close();
  });

  const ledgerOf = async (tenantId: string): Promise<LedgerEvent[]> => (await LedgerStore.open(halm.nats.connection, halm.nats.topology)).read(tenantId);

  it('answers the seed request in the documented shape, every field with its type', async () => {
    const { agentKey } = await halm.createTenant('acme');

    const response = await authorize(halm.gatewayUrl, agentKey, SEED_REQUEST);

    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    // The quickstart's fields, and the execution token an ALLOW carries.
    expect(Object.keys(body).sort()).toEqual(['allowed', 'constraints', 'decidedAt', 'executionToken', 'humanApprovalRequired', 'proposalId', 'reasons', 'status', 'vetoDeadline']);
    expect(body).toEqual({
      proposalId: expect.stringMatching(/^prop_[0-9a-f]{24}$/),
      status: 'ALLOW',
      allowed: true,
      reasons: expect.arrayContaining([expect.any(String)]),
      constraints: {},
      vetoDeadline: null,
      humanApprovalRequired: false,
      decidedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      executionToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    });
    expect(body['reasons']).toEqual(['Action complies with active policy manifest', 'Confidence 0.92 exceeds auto-commit threshold 0.8']);
  });

  it('answers an ALLOW with an execution token bound to the tenant, the proposal, the recorded decision and the action', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');

    const body = (await (await authorize(halm.gatewayUrl, agentKey, SEED_REQUEST)).json()) as { proposalId: string; executionToken: string };
    const held = (await (await authorize(halm.gatewayUrl, agentKey, { ...SEED_REQUEST, payload: { amount: 50_000, recipient: 'acme' } })).json()) as Record<string, unknown>;

    const [header, claims] = body.executionToken.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);
    const decision = (await ledgerOf(tenantId)).find((event) => event.type === 'DecisionRecorded');
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'halm-exec+jwt', kid: expect.any(String) });
    expect(claims).toMatchObject({ tid: tenantId, pid: body.proposalId, dh: decision?.hash, ad: actionDigest('ledger:write', SEED_REQUEST.payload) });
    expect((claims!['exp'] as number) - (claims!['iat'] as number)).toBe(300);
    expect(held).not.toHaveProperty('executionToken');
  });

  it('answers only after the decision is in the tenant ledger, hash-chained after the default policy', async () => {
    const { tenantId, agentKey } = await halm.createTenant('acme');

    const first = (await (await authorize(halm.gatewayUrl, agentKey, SEED_REQUEST)).json()) as { proposalId: string };
    const second = (await (await authorize(halm.gatewayUrl, agentKey, { ...SEED_REQUEST, payload: { amount: 50_000, recipient: 'acme' } })).json()) as {
      proposalId: string;
      status: string;
    };

    const events = await ledgerOf(tenantId);
    expect(events.map((event) => [event.height, event.type])).toEqual([
      [1, 'PolicyPublished'],
      [2, 'PolicyActivated'],
      [3, 'DecisionRecorded'],
      [4, 'DecisionRecorded'],
    ]);
    expect(events.slice(2).map((event) => (event.data as { decision: { proposalId: string; policy: { version: number } } }).decision)).toEqual([
      expect.objectContaining({ proposalId: first.proposalId, policy: expect.objectContaining({ version: 1 }) }),
      expect.objectContaining({ proposalId: second.proposalId, policy: expect.objectContaining({ version: 1 }) }),
    ]);
    expect(second.status).toBe('REQUIRE_HUMAN');
    expect(verifyChain(events)).toEqual([]);
    expect(events[0]?.prevHash).toBe('0'.repeat(64));
    expect(events[3]?.prevHash).toBe(events[2]?.hash);
  });

  it('keeps two tenants on independent chains', async () => {
    const acme = await halm.createTenant('acme');
    const globex = await halm.createTenant('globex');

    await Promise.all([
      authorize(halm.gatewayUrl, acme.agentKey, SEED_REQUEST),
      authorize(halm.gatewayUrl, globex.agentKey, SEED_REQUEST),
      authorize(halm.gatewayUrl, acme.agentKey, SEED_REQUEST),
    ]);

    const acmeChain = await ledgerOf(acme.tenantId);
    const globexChain = await ledgerOf(globex.tenantId);
    expect(acmeChain.map((event) => event.height)).toEqual([1, 2, 3, 4]);
    expect(globexChain.map((event) => event.height)).toEqual([1, 2, 3]);
    expect(acmeChain.every((event) => event.tenantId === acme.tenantId)).toBe(true);
    expect(verifyChain(acmeChain)).toEqual([]);
    expect(verifyChain(globexChain)).toEqual([]);
  });

  it('carries one trace across gateway, policy-evaluator and ledger', async () => {
    const { agentKey } = await halm.createTenant('acme');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';

    const response = await authorize(halm.gatewayUrl, agentKey, SEED_REQUEST, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(response.status).toBe(200);

    const services = await eventually(
      async () => {
        const seen = new Set(receiver.spans.filter((span) => span.traceId === traceId).map((span) => span.service));
        return ['gateway', 'policy-evaluator', 'ledger'].every((service) => seen.has(service)) ? seen : undefined;
      },
      10_000,
      'spans of the trace from all three services',
    );
    expect([...services].sort()).toEqual(['gateway', 'ledger', 'policy-evaluator']);
    const gatewayLog = halm.logs.get('gateway')?.find((entry) => entry['msg'] === 'decision recorded' && entry['trace_id'] === traceId);
    expect(gatewayLog).toBeDefined();
  });

  it('reports health and Prometheus metrics on every service', async () => {
    for (const entry of halm.stack.processes) {
      const health = (await (await fetch(`${entry.url}/health`)).json()) as { ready: boolean; live: boolean; checks: Record<string, { status: string }> };
      const metrics = await (await fetch(`${entry.url}/metrics`)).text();

      expect({ service: entry.label, live: health.live, ready: health.ready }).toEqual({ service: entry.label, live: true, ready: true });
      expect(health.checks['nats']?.status).toBe('up');
      expect(health.checks['jetstream']?.status).toBe('up');
      expect(metrics).toContain(`service="${entry.service}"`);
      expect(metrics).toContain('process_cpu_seconds_total');
    }
    const gatewayMetrics = await (await fetch(`${halm.gatewayUrl}/metrics`)).text();
    expect(gatewayMetrics).toMatch(/halm_decisions_total\{status="ALLOW",service="gateway"\} [1-9]/);
    const gatewayHealth = (await (await fetch(`${halm.gatewayUrl}/health`)).json()) as { checks: Record<string, { status: string }> };
    expect(gatewayHealth.checks['postgres']?.status).toBe('up');
  });

  it('rejects bad input with a problem document naming the field', async () => {
    const { agentKey } = await halm.createTenant('acme');

    const malformed = await authorize(halm.gatewayUrl, agentKey, '{"type": ');
    const badConfidence = await authorize(halm.gatewayUrl, agentKey, { ...SEED_REQUEST, context: { confidenceScore: 1.5 } });

    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toContain('application/problem+json');
    expect(await malformed.json()).toMatchObject({ status: 400, invalidParams: [{ name: 'body' }] });
    expect(badConfidence.status).toBe(400);
    expect(await badConfidence.json()).toMatchObject({ status: 400, invalidParams: [{ name: 'context.confidenceScore' }] });
  });

  it('answers 401 for a missing or unknown key', async () => {
    expect((await authorize(halm.gatewayUrl, undefined, SEED_REQUEST)).status).toBe(401);
    expect((await authorize(halm.gatewayUrl, 'halm_unknown', SEED_REQUEST)).status).toBe(401);
  });

  it('never lets a request with a forged reply subject write onto a ledger subject', async () => {
    const { tenantId } = await halm.createTenant('acme');
    const append = { tenantId, eventId: 'forged', type: 'DecisionRecorded', recordedAt: '2026-03-15T10:00:00.000Z', data: {} };

    halm.nats.connection.publish(halm.nats.topology.appendSubject, JSON.stringify(append), { reply: halm.nats.topology.ledgerSubject(tenantId) });
    await halm.nats.connection.flush();
    const { agentKey } = await halm.createTenant('globex');
    await authorize(halm.gatewayUrl, agentKey, SEED_REQUEST);

    expect(await ledgerOf(tenantId)).toEqual([]);
  });

  it('fails closed when the ledger cannot record: no answer says allowed', async () => {
    const { agentKey } = await halm.createTenant('acme');
    await stopProcesses(halm.stack.processes.filter((entry) => entry.service === 'ledger').map((entry) => entry.process));

    const response = await authorize(halm.gatewayUrl, agentKey, SEED_REQUEST);

    expect(response.status).toBe(503);
    const body = (await response.json()) as { allowed: boolean; reasons: string[] };
    expect(body.allowed).toBe(false);
    expect(body.reasons[0]).toMatch(/No decision could be taken|could not be recorded in the ledger/);
  });
});
