import {
  context,
  isSpanContextValid,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider, RandomIdGenerator } from '@opentelemetry/sdk-trace-node';

let provider: NodeTracerProvider | undefined;

/**
 * Spans that nothing records, for a process without an exporter: the SDK's spans keep times,
 * attributes and status that would never leave the process, a few microseconds per span on
 * every request. Each span still gets its own id in its parent's trace, so log lines carry
 * trace ids and the W3C headers continue the trace in the next service, marked sampled as the
 * SDK's default sampler (parent-based, always on) would mark them.
 */
class IdOnlyTracer implements Tracer {
  private readonly ids = new RandomIdGenerator();

  startSpan(_name: string, options?: SpanOptions, parent: Context = context.active()): Span {
    const parentSpan = options?.root ? undefined : trace.getSpanContext(parent);
    if (parentSpan && isSpanContextValid(parentSpan)) {
      return trace.wrapSpanContext({ traceId: parentSpan.traceId, spanId: this.ids.generateSpanId(), traceFlags: parentSpan.traceFlags, traceState: parentSpan.traceState });
    }
    return trace.wrapSpanContext({ traceId: this.ids.generateTraceId(), spanId: this.ids.generateSpanId(), traceFlags: TraceFlags.SAMPLED });
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]): ReturnType<F> {
    const work = rest.at(-1) as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : undefined;
    const parent = rest.length > 2 ? (rest[1] as Context) : context.active();
    const span = this.startSpan(name, options, parent);
    return context.with(trace.setSpan(parent, span), work as (span: Span) => ReturnType<F>, undefined, span);
  }
}

/** The SDK's provider, for its context manager and propagator; only its spans are the id-only ones. */
class IdOnlyTracerProvider extends NodeTracerProvider {
  private readonly tracer = new IdOnlyTracer();

  override getTracer(): Tracer {
    return this.tracer;
  }
}

/**
 * Registers the process-wide tracer with W3C trace-context propagation. Spans are always
 * created, so every log line can carry a trace id; they are recorded and leave the process
 * only when an OTLP endpoint is configured (the exporter reads OTEL_EXPORTER_OTLP_ENDPOINT itself).
 */
export const startTracing = (serviceName: string, otlpEndpoint: string): void => {
  if (provider) return;
  provider = otlpEndpoint
    ? new NodeTracerProvider({ resource: resourceFromAttributes({ 'service.name': serviceName }), spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] })
    : new IdOnlyTracerProvider();
  provider.register({ propagator: new W3CTraceContextPropagator() });
};

export const stopTracing = async (): Promise<void> => {
  await provider?.shutdown();
  provider = undefined;
};

export const tracer = () => trace.getTracer('halm');

/** Carrier for W3C headers: anything with get and set of string values (HTTP and NATS headers alike). */
export interface HeaderCarrier {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

/** Writes the active trace context (traceparent, tracestate) into outgoing headers. */
export const injectTraceContext = (carrier: HeaderCarrier, from: Context = context.active()): void => {
  propagation.inject(from, carrier, {
    set: (target, key, value) => target.set(key, value),
  });
};

/** Reads a trace context from incoming headers; the active context when there is none. */
export const extractTraceContext = (carrier: HeaderCarrier | undefined): Context => {
  if (!carrier) return context.active();
  return propagation.extract(context.active(), carrier, {
    get: (target, key) => target.get(key),
    keys: () => ['traceparent', 'tracestate'],
  });
};

/** Runs `work` inside a new span that is a child of `parent`, ending the span with the work's outcome. */
export const inSpan = async <T>(
  name: string,
  kind: SpanKind,
  parent: Context,
  work: (span: Span) => Promise<T>,
  attributes: Record<string, string | number | boolean> = {},
): Promise<T> => {
  const span = tracer().startSpan(name, { kind, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
};

export const currentTraceId = (): string | undefined => trace.getActiveSpan()?.spanContext().traceId;

export { SpanKind };
