import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ACTION_TYPES } from '@halm/contracts';
import { migrate } from '@halm/persistence';
import { Metrics, ProblemDetailsFilter, readSettings, ServiceCoreModule } from '@halm/platform';
import { createTestDatabase, newSigningKey, openTestNats, OpenApiSchemas, testNatsUrl, validateOpenApiStructure } from '@halm/testing';
import pino from 'pino';
import { GatewayModule } from '../gateway.module';
import { GatewaySettings } from '../gateway.settings';
import { openApiPath, type OpenApiDocument } from './openapi-document';
import { OpenApiDocumentService } from './openapi-document.service';

type Operation = {
  operationId: string;
  parameters?: { name: string; in: string; schema: Record<string, unknown>; example?: unknown }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown>; examples?: Record<string, { value: unknown }> }> };
  responses: Record<string, Record<string, unknown>>;
  security: unknown[];
};

/**
 * The real GatewayModule on real NATS and PostgreSQL, as runService builds it (listening on
 * a free port: Fastify's inject needs an ES module jest cannot load), with a hook
 * that records every route Fastify registers: the router is the ground truth the document
 * is compared with.
 */
const startGateway = async () => {
  const database = await createTestDatabase(migrate);
  const nats = await openTestNats();
  const settings = readSettings(GatewaySettings, {
    EXECUTION_TOKEN_SIGNING_KEY: newSigningKey(),
    NATS_URL: testNatsUrl(),
    DATABASE_URL: database.url,
    HALM_NAMESPACE: nats.topology.namespace,
    OPERATOR_API_KEY: 'operator-key-of-at-least-24-characters',
  });
  const logger = pino({ level: 'silent' });
  const adapter = new FastifyAdapter({ logger: false });
  const routes: { method: string; url: string }[] = [];
  adapter.getInstance().addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method: String(method), url: route.url ?? route.path });
  });

  @Module({})
  class RootModule {}

  const app = await NestFactory.create<NestFastifyApplication>(
    { module: RootModule, imports: [ServiceCoreModule.forRoot('gateway', settings, logger, new Metrics('gateway')), GatewayModule] },
    adapter,
    { logger: false },
  );
  app.useGlobalFilters(new ProblemDetailsFilter(logger));
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  const get = async (path: string) => {
    const response = await fetch(`${url}${path}`);
    return { statusCode: response.status, headers: Object.fromEntries(response.headers), body: await response.text() };
  };
  return {
    app,
    get,
    routes,
    [Symbol.asyncDispose]: async () => {
      await app.close();
      await nats[Symbol.asyncDispose]();
      await database[Symbol.asyncDispose]();
    },
  };
};

describe('GET /api/openapi.json of the real gateway', () => {
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let document: OpenApiDocument;

  beforeAll(async () => {
    gateway = await startGateway();
    const response = await gateway.get('/api/openapi.json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    document = JSON.parse(response.body) as OpenApiDocument;
  });

  afterAll(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });

  const operations = (): [string, string, Operation][] =>
    Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => [path, method, operation as unknown as Operation] as [string, string, Operation]));

  it('is a valid OpenAPI 3.1 document by the official schema', async () => {
    const result = await validateOpenApiStructure(document);

    expect(result.errors).toBeNull();
    expect(result).toMatchObject({ valid: true, version: '3.1' });
    expect(document.openapi).toBe('3.1.0');
    // The validator is not vacuous: a broken copy fails it.
    const broken = await validateOpenApiStructure({ ...document, paths: { '/x': { get: { responses: { 200: { content: {} } } } } } });
    expect(broken.valid).toBe(false);
  });

  it('has schemas that are valid JSON Schema 2020-12, with no OpenAPI 3.0 keyword left', async () => {
    const schemas = await OpenApiSchemas.of(document);

    expect(schemas.compileAll()).toEqual(Object.keys(document.components.schemas));
    expect(JSON.stringify(document)).not.toMatch(/"nullable"\s*:/);
  });

  it('lists every route the gateway registered, and no other', () => {
    const registered = gateway.routes
      // Fastify adds a HEAD route beside each GET by itself.
      .filter((route) => !(route.method === 'HEAD' && gateway.routes.some((other) => other.method === 'GET' && other.url === route.url)))
      .map((route) => `${route.method} ${openApiPath(route.url)}`)
      .sort();
    const documented = operations()
      .map(([path, method]) => `${method.toUpperCase()} ${path}`)
      .sort();

    expect(registered.length).toBeGreaterThan(10);
    expect(documented).toEqual(registered);
  });

  it('describes every route: nothing the code registers lacks documentation, a schema or its guards', () => {
    expect(gateway.app.get(OpenApiDocumentService).build().gaps).toEqual([]);
  });

  it('gives every operation a success response, and problem details for every error', () => {
    for (const [path, method, operation] of operations()) {
      const statuses = Object.keys(operation.responses);
      expect({ path, method, success: statuses.some((status) => status.startsWith('2')) }).toEqual({ path, method, success: true });
      for (const status of statuses.filter((candidate) => /^4/.test(candidate))) {
        const response = operation.responses[status]!;
        const ref = typeof response['$ref'] === 'string' ? (response['$ref'] as string).split('/').pop()! : undefined;
        const resolved = (ref ? document.components.responses[ref] : response) as { content?: Record<string, unknown> };
        expect({ path, method, status, mediaTypes: Object.keys(resolved.content ?? {}) }).toEqual({ path, method, status, mediaTypes: ['application/problem+json'] });
      }
    }
  });

  it('documents POST /api/kernel/authorize with the request schema the validation pipe enforces', () => {
    const operation = document.paths['/api/kernel/authorize']?.['post'] as unknown as Operation;
    const schema = operation.requestBody?.content['application/json']?.schema;

    expect(schema).toEqual({ $ref: '#/components/schemas/AuthorizeRequest' });
    expect(document.components.schemas['AuthorizeRequest']).toMatchObject({
      type: 'object',
      required: ['type', 'payload'],
      properties: {
        type: { enum: [...ACTION_TYPES] },
        payload: { type: 'object' },
        justification: { type: 'string', maxLength: 4096 },
        context: { $ref: '#/components/schemas/AuthorizeContext' },
      },
    });
    expect(document.components.schemas['AuthorizeContext']).toMatchObject({
      properties: { confidenceScore: { type: 'number', minimum: 0, maximum: 1 }, sessionId: { type: 'string', maxLength: 256 }, agentId: { type: 'string', maxLength: 256 } },
    });
    expect(document.components.schemas['AuthorizeContext']!['required']).toBeUndefined();
    expect(operation.security).toEqual([{ apiKey: [] }]);
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '400', '401', '403', '413', '415', '503']);
  });

  it('documents the sandbox as public, rate-limited and answering like authorize', () => {
    const sandbox = document.paths['/api/sandbox/authorize']?.['post'] as unknown as Operation;
    const kernel = document.paths['/api/kernel/authorize']?.['post'] as unknown as Operation;

    expect(sandbox.security).toEqual([]);
    expect(sandbox.requestBody).toEqual(kernel.requestBody);
    expect(sandbox.responses['200']?.['content']).toEqual(kernel.responses['200']?.['content']);
    expect(sandbox.responses['429']).toEqual({ $ref: '#/components/responses/TooManyRequests' });
    expect(document.components.responses['TooManyRequests']).toMatchObject({ headers: { 'Retry-After': { schema: { type: 'integer' } } } });
  });

  it('derives parameters from the routes: path parameters and query DTOs', () => {
    const revoke = document.paths['/api/admin/keys/{keyId}']?.['delete'] as unknown as Operation;

    expect(revoke.parameters).toEqual([expect.objectContaining({ name: 'keyId', in: 'path', required: true, schema: { type: 'string' } })]);
    expect(revoke.responses['204']).toEqual({ description: 'Revoked.' });
    const list = document.paths['/api/kernel/proposals']?.['get'] as unknown as Operation | undefined;
    expect(list?.parameters?.map((parameter) => `${parameter.in}:${parameter.name}`)).toEqual(expect.arrayContaining(['query:limit']));
  });

  it('has examples that satisfy their own schemas', async () => {
    const schemas = await OpenApiSchemas.of(document);
    const failures: unknown[] = [];
    for (const [path, method, operation] of operations()) {
      for (const [mediaType, media] of Object.entries(operation.requestBody?.content ?? {})) {
        for (const [name, example] of Object.entries(media.examples ?? {})) {
          const errors = schemas.errorsOf(media.schema, example.value);
          if (errors.length > 0) failures.push({ path, method, mediaType, name, errors });
        }
      }
    }
    for (const [path, method, operation] of operations()) {
      for (const parameter of operation.parameters ?? []) {
        const errors = parameter.example === undefined ? [] : schemas.errorsOf(parameter.schema, parameter.example);
        if (errors.length > 0) failures.push({ path, method, parameter: parameter.name, errors });
      }
    }
    for (const [name, response] of Object.entries(document.components.responses)) {
      for (const media of Object.values(response.content ?? {})) {
        const errors = media.example === undefined ? [] : schemas.errorsOf(media.schema, media.example);
        if (errors.length > 0) failures.push({ response: name, errors });
      }
    }
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      for (const example of (schema['examples'] as unknown[] | undefined) ?? []) {
        if (!schemas.component(name)(example)) failures.push({ schema: name, errors: schemas.component(name).errors });
      }
    }

    expect(failures).toEqual([]);
  });

  it('answers the docs page, its script and styles from the gateway itself', async () => {
    const page = await gateway.get('/docs');
    const script = await gateway.get('/docs/assets/docs.js');
    const styles = await gateway.get('/docs/assets/docs.css');

    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).not.toMatch(/https?:\/\/(?!example\.com)[^"'\s<]+\.(js|css)/);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(styles.headers['content-type']).toBe('text/css; charset=utf-8');
    for (const [path, method, operation] of operations()) {
      expect({ path, method, anchored: page.body.includes(`id="op-${operation.operationId}"`) }).toEqual({ path, method, anchored: true });
    }
  });
});
