import 'reflect-metadata';
import { type DynamicModule, Global, Module, type Type } from '@nestjs/common';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { HealthController, HealthRegistry, MetricsController, SERVICE_NAME } from './health';
import { createLogger, StructuredNestLogger } from './logger';
import { Metrics } from './metrics';
import { ProblemDetailsFilter } from './problem-details';
import { loadSettingsOrExit, type ServiceSettings } from './settings';
import { extractTraceContext, startTracing, stopTracing, tracer } from './tracing';

export const SETTINGS = Symbol('SETTINGS');
export const LOGGER = Symbol('LOGGER');

/** Settings, logger, metrics and health for every module of a service. */
@Global()
@Module({})
export class ServiceCoreModule {
  static forRoot(service: string, settings: ServiceSettings, logger: Logger, metrics: Metrics): DynamicModule {
    return {
      module: ServiceCoreModule,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: SERVICE_NAME, useValue: service },
        { provide: SETTINGS, useValue: settings },
        { provide: LOGGER, useValue: logger },
        { provide: Metrics, useValue: metrics },
        HealthRegistry,
      ],
      exports: [SERVICE_NAME, SETTINGS, LOGGER, Metrics, HealthRegistry],
    };
  }
}

export interface ServiceDefinition<S extends ServiceSettings> {
  /** The service's name in logs, traces and metrics, e.g. `gateway`. */
  name: string;
  settings: new () => S;
  defaults: Partial<S>;
  /** The service's own module; it is given the settings to build its imports. */
  module: (settings: S) => Type<unknown> | DynamicModule;
  /** A transport that answers NATS requests, when the service has any. */
  transport?: (app: NestFastifyApplication) => CustomTransportStrategy;
  /** Largest accepted request body. */
  bodyLimitBytes?: number;
}

export interface RunningService {
  app: NestFastifyApplication;
  logger: Logger;
  stop(): Promise<void>;
}

const spans = new WeakMap<FastifyRequest, { span: Span; started: bigint }>();

/**
 * Starts one Halm service: settings validated before anything else (a bad one ends the
 * process with one line), tracing, JSON logs, /health and /metrics, problem-details errors,
 * and a graceful stop on SIGTERM or SIGINT: readiness goes down, the HTTP server stops
 * accepting and finishes its requests, NATS subscriptions drain, then the process exits.
 */
export const runService = async <S extends ServiceSettings>(definition: ServiceDefinition<S>): Promise<RunningService> => {
  const settings = loadSettingsOrExit(definition.name, definition.settings, definition.defaults);
  startTracing(definition.name, settings.OTEL_EXPORTER_OTLP_ENDPOINT);
  const logger = createLogger(definition.name, settings.LOG_LEVEL);
  const metrics = new Metrics(definition.name);

  @Module({})
  class RootModule {}

  const adapter = new FastifyAdapter({ bodyLimit: definition.bodyLimitBytes ?? 64 * 1024, logger: false, return503OnClosing: true });
  const app = await NestFactory.create<NestFastifyApplication>(
    { module: RootModule, imports: [ServiceCoreModule.forRoot(definition.name, settings, logger, metrics), definition.module(settings)] },
    adapter,
    { logger: new StructuredNestLogger(logger), abortOnError: false },
  );
  app.useGlobalFilters(new ProblemDetailsFilter(logger));
  instrumentHttp(adapter.getInstance() as unknown as FastifyInstance, metrics);

  if (definition.transport) {
    app.connectMicroservice({ strategy: definition.transport(app) }, { inheritAppConfig: true });
    await app.startAllMicroservices();
  }
  await app.listen(settings.PORT, settings.HOST);
  logger.info({ url: await app.getUrl() }, `${definition.name} ready`);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down: no new work, finishing in-flight work');
      app.get(HealthRegistry).startDraining();
      const forced = setTimeout(() => {
        logger.error(`shutdown took longer than ${settings.SHUTDOWN_TIMEOUT_MS} ms; exiting`);
        process.exit(1);
      }, settings.SHUTDOWN_TIMEOUT_MS);
      forced.unref();
      await app.close();
      await stopTracing();
      clearTimeout(forced);
      logger.info('stopped');
    })());
  return { app, logger, stop };
};

/** Runs a service as the main program: exits 0 after a clean stop, 1 when it cannot start. */
export const main = <S extends ServiceSettings>(definition: ServiceDefinition<S>): void => {
  runService(definition).then(
    (service) => {
      const onSignal = () => void service.stop().then(() => process.exit(0));
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    },
    (error: unknown) => {
      process.stderr.write(`${definition.name}: cannot start: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
};

// A span per HTTP request, continued from the caller's traceparent, active while Nest handles it.
const instrumentHttp = (fastify: FastifyInstance, metrics: Metrics): void => {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const parent = extractTraceContext({ get: (name) => headerValue(request.headers[name]), set: () => undefined });
    const span = tracer().startSpan(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`, { kind: SpanKind.SERVER }, parent);
    spans.set(request, { span, started: process.hrtime.bigint() });
    done();
  });
  fastify.addHook('preHandler', (request, _reply, done) => {
    const entry = spans.get(request);
    if (!entry) return done();
    // Fastify calls the route handler synchronously from done(), so Nest's guards, pipes and
    // handler all run with this span active.
    context.with(trace.setSpan(context.active(), entry.span), done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const entry = spans.get(request);
    if (entry) {
      const route = request.routeOptions.url ?? 'unmatched';
      entry.span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) entry.span.setStatus({ code: SpanStatusCode.ERROR });
      entry.span.end();
      const seconds = Number(process.hrtime.bigint() - entry.started) / 1e9;
      metrics.httpRequests.observe({ method: request.method, route, status: String(reply.statusCode) }, seconds);
    }
    done();
  });
};

const headerValue = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);
