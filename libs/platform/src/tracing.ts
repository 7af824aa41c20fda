import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

let provider: NodeTracerProvider | undefined;

/**
 * Registers the process-wide tracer with W3C trace-context propagation. Spans are always
 * created, so every log line can carry a trace id; they leave the process only when an
 * OTLP endpoint is configured (the exporter reads OTEL_EXPORTER_OTLP_ENDPOINT itself).
 */
export const startTracing = (serviceName: string, otlpEndpoint: string): void => {
  if (provider) return;
  const spanProcessors: SpanProcessor[] = otlpEndpoint ? [new BatchSpanProcessor(new OTLPTraceExporter())] : [];
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors,
  });
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
