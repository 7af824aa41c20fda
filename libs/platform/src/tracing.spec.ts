import { context, trace } from '@opentelemetry/api';
import { currentTraceId, extractTraceContext, injectTraceContext, inSpan, SpanKind, startTracing, stopTracing, type HeaderCarrier } from './tracing';

const headers = (initial: Record<string, string> = {}): HeaderCarrier & { values: Record<string, string> } => {
  const values = { ...initial };
  return { values, get: (name) => values[name], set: (name, value) => (values[name] = value) };
};

describe('tracing without an exporter', () => {
  beforeAll(() => startTracing('test', ''));
  afterAll(() => stopTracing());

  it('continues the caller’s trace with a span of its own, for the logs and the next hop', async () => {
    const incoming = headers({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });

    const seen = await inSpan('handle test', SpanKind.SERVER, extractTraceContext(incoming), async () => {
      const outgoing = headers();
      injectTraceContext(outgoing);
      return { traceId: currentTraceId(), traceparent: outgoing.values['traceparent'] };
    });

    expect(seen.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(seen.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(seen.traceparent).not.toContain('00f067aa0ba902b7');
  });

  it('keeps an unsampled caller’s flag', async () => {
    const incoming = headers({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' });

    const traceparent = await inSpan('handle test', SpanKind.SERVER, extractTraceContext(incoming), async () => {
      const outgoing = headers();
      injectTraceContext(outgoing);
      return outgoing.values['traceparent'];
    });

    expect(traceparent).toMatch(/-00$/);
  });

  it('starts a new sampled trace for a request that comes without one', async () => {
    const traceparents = await Promise.all(
      [1, 2].map(() =>
        inSpan('GET /x', SpanKind.SERVER, context.active(), async () => {
          const outgoing = headers();
          injectTraceContext(outgoing);
          return outgoing.values['traceparent'];
        }),
      ),
    );

    for (const traceparent of traceparents) expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(traceparents[0]!.slice(3, 35)).not.toBe(traceparents[1]!.slice(3, 35));
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});
