import { request as httpRequest } from 'node:http';
import type { LedgerEvent } from '@halm/contracts';
import { verifyChain } from '@halm/domain';
import { LedgerStore } from '@halm/messaging';
import { OpenApiSchemas } from '@halm/testing';
import { startE2eStack, type E2eStack } from './stack';

// The quickstart seed's request, byte for byte what its Python snippet sends.
const SEED_REQUEST = { type: 'ledger:write', payload: { amount: 120, recipient: 'acme' }, context: { confidenceScore: 0.92 } };

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/**
 * POST to the sandbox from a loopback address of the test's choosing (127.0.0.0/8 all reach
 * the gateway on 127.0.0.1): the rate limit is per client IP, so each test has its own bucket.
 */
const sandbox = (gatewayUrl: string, body: unknown, localAddress: string): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const request = httpRequest(`${gatewayUrl}/api/sandbox/authorize`, { method: 'POST', localAddress, headers: { 'content-type': 'application/json' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    request.on('error', reject);
    request.end(typeof body === 'string' ? body : JSON.stringify(body));
  });

describe('the API docs: /api/openapi.json, /docs and the sandbox behind its playground', () => {
  let halm: E2eStack;
  let document: { paths: Record<string, Record<string, Record<string, unknown>>>; components: { schemas: Record<string, Record<string, unknown>> } };
  let schemas: OpenApiSchemas;

  beforeAll(async () => {
    // A slow refill makes the limit exact: 5 requests per address, then one every 60 s.
    halm = await startE2eStack(undefined, { SANDBOX_BURST: '5', SANDBOX_RATE_LIMIT: '1', SANDBOX_RATE_WINDOW_MS: '60000' });
    document = (await (await fetch(`${halm.gatewayUrl}/api/openapi.json`)).json()) as typeof document;
    schemas = await OpenApiSchemas.of(document);
  });

  afterAll(async () => {
    await halm?.[Symbol.asyncDispose]();
  });

  it('serves the OpenAPI 3.1 document, listing /api/kernel/authorize with its request schema', async () => {
    const response = await fetch(`${halm.gatewayUrl}/api/openapi.json`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(document).toMatchObject({ openapi: '3.1.0', info: { title: 'Halm API' } });
    const authorize = document.paths['/api/kernel/authorize']?.['post'];
    expect(authorize).toMatchObject({
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AuthorizeRequest' } } } },
      security: [{ apiKey: [] }],
    });
    expect(document.components.schemas['AuthorizeRequest']).toMatchObject({ required: ['type', 'payload'], properties: { type: { enum: expect.arrayContaining(['ledger:write']) } } });
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/api/sandbox/authorize', '/api/admin/keys', '/health', '/metrics', '/docs']));
  });

  it('serves /docs: HTML with the playground, and the assets it loads', async () => {
    const response = await fetch(`${halm.gatewayUrl}/docs`);
    const html = await response.text();

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html).toContain('id="playground"');
    expect(html).toContain('data-testid="playground-request"');
    expect(html).toContain('data-testid="playground-submit"');
    expect(html).toContain('data-testid="playground-result"');
    expect(html).toContain('/api/sandbox/authorize');
    for (const [, asset] of html.matchAll(/(?:src|href)="(\/docs\/assets\/[^"]+)"/g)) {
      expect({ asset, status: (await fetch(`${halm.gatewayUrl}${asset}`)).status }).toEqual({ asset, status: 200 });
    }
  });

  it('answers the seed request on the sandbox in the seed\'s response shape, recorded in the sandbox tenant\'s ledger', async () => {
    const answer = await sandbox(halm.gatewayUrl, SEED_REQUEST, '127.0.0.11');

    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(['allowed', 'constraints', 'decidedAt', 'executionToken', 'humanApprovalRequired', 'proposalId', 'reasons', 'status', 'vetoDeadline']);
    expect(answer.body).toEqual({
      proposalId: expect.stringMatching(/^prop_[0-9a-f]{24}$/),
      status: 'ALLOW',
      allowed: true,
      reasons: expect.arrayContaining([expect.any(String)]),
      constraints: {},
      vetoDeadline: null,
      humanApprovalRequired: false,
      decidedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      executionToken: expect.any(String),
    });
    // The live answer matches the schema the document publishes for it.
    expect(schemas.errorsOf({ $ref: '#/components/schemas/AuthorizeResponse' }, answer.body)).toEqual([]);
    const events: LedgerEvent[] = await (await LedgerStore.open(halm.nats.connection, halm.nats.topology)).read('sandbox');
    const recorded = events.filter((event) => event.type === 'DecisionRecorded').map((event) => (event.data as { decision: { proposalId: string } }).decision.proposalId);
    expect(recorded).toContain(answer.body['proposalId']);
    expect(verifyChain(events)).toEqual([]);
  });

  it('rejects bad sandbox input with a 400 problem document naming the field', async () => {
    const answer = await sandbox(halm.gatewayUrl, { ...SEED_REQUEST, context: { confidenceScore: 1.5 } }, '127.0.0.12');
    const malformed = await sandbox(halm.gatewayUrl, '{"type": "ledger:write",', '127.0.0.12');

    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ status: 400, type: '/problems/invalid-request', invalidParams: [{ name: 'context.confidenceScore', reason: 'must be a number between 0 and 1' }] });
    expect(schemas.errorsOf({ $ref: '#/components/schemas/ProblemDetails' }, answer.body)).toEqual([]);
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ status: 400, invalidParams: [{ name: 'body', reason: 'must be valid JSON' }] });
  });

  it('rate-limits each client address: 429 with Retry-After after the burst, other addresses unaffected', async () => {
    const answers: Answer[] = [];
    for (let index = 0; index < 6; index += 1) answers.push(await sandbox(halm.gatewayUrl, SEED_REQUEST, '127.0.0.13'));

    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 429]);
    const limited = answers[5]!;
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.body).toMatchObject({ status: 429, type: '/problems/rate-limited', retryAfter: Number(limited.headers['retry-after']) });
    expect(schemas.errorsOf({ $ref: '#/components/schemas/RateLimitedProblem' }, limited.body)).toEqual([]);
    // Bad input counts too: the limit is the door, before validation.
    expect((await sandbox(halm.gatewayUrl, { type: 'nope' }, '127.0.0.13')).status).toBe(429);
    expect((await sandbox(halm.gatewayUrl, SEED_REQUEST, '127.0.0.14')).status).toBe(200);
  });

  it('answers 404 on a gateway whose sandbox is turned off, and the docs page says so', async () => {
    await using off = await startE2eStack(['gateway'], { SANDBOX_ENABLED: 'false' });

    const answer = await sandbox(off.gatewayUrl, SEED_REQUEST, '127.0.0.15');
    const html = await (await fetch(`${off.gatewayUrl}/docs`)).text();

    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ status: 404, detail: expect.stringContaining('SANDBOX_ENABLED=false') });
    expect(html).toContain('The sandbox is turned off on this deployment');
  });
});
