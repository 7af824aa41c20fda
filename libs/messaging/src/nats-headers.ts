import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { extractTraceContext, injectTraceContext, type HeaderCarrier } from '@halm/platform';
import type { Context } from '@opentelemetry/api';

const carrierOf = (headers: MsgHdrs): HeaderCarrier => ({
  get: (name) => (headers.has(name) ? headers.get(name) : undefined),
  set: (name, value) => headers.set(name, value),
});

/** NATS headers carrying the active W3C trace context, so the next hop continues the same trace. */
export const tracedHeaders = (): MsgHdrs => {
  const headers = natsHeaders();
  injectTraceContext(carrierOf(headers));
  return headers;
};

export const traceContextOf = (headers: MsgHdrs | undefined): Context => extractTraceContext(headers ? carrierOf(headers) : undefined);
