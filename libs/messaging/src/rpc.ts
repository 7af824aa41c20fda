import type { NatsConnection } from '@nats-io/transport-node';
import { errors } from '@nats-io/transport-node';
import type { RpcFailure } from '@halm/contracts';
import { inSpan, SpanKind } from '@halm/platform';
import { context } from '@opentelemetry/api';
import { tracedHeaders } from './nats-headers';

/** The body of every reply on a `*.req.*` subject. */
export type RpcReply<T> = { ok: true; value: T } | { ok: false; error: RpcFailure };

/** A failure the handler meant to report, or the transport's own (no responder, timeout). */
export class RpcError extends Error {
  constructor(
    readonly code: RpcFailure['code'],
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/** Requests over core NATS: JSON in, JSON out, the trace context in the headers. */
export class RpcClient {
  constructor(private readonly connection: NatsConnection) {}

  async request<TRequest, TReply>(subject: string, body: TRequest, timeoutMs: number): Promise<TReply> {
    return inSpan(`request ${subject}`, SpanKind.CLIENT, context.active(), async () => {
      let message;
      try {
        message = await this.connection.request(subject, JSON.stringify(body), { timeout: timeoutMs, headers: tracedHeaders() });
      } catch (error) {
        if (error instanceof errors.NoRespondersError) throw new RpcError('UNAVAILABLE', `no service answers ${subject}`);
        if (error instanceof errors.TimeoutError) throw new RpcError('UNAVAILABLE', `no answer on ${subject} within ${timeoutMs} ms`);
        if (error instanceof errors.RequestError && error.isNoResponders()) throw new RpcError('UNAVAILABLE', `no service answers ${subject}`);
        throw new RpcError('UNAVAILABLE', `request on ${subject} failed: ${(error as Error).message}`);
      }
      const reply = message.json<RpcReply<TReply>>();
      if (!reply.ok) throw new RpcError(reply.error.code, reply.error.message);
      return reply.value;
    });
  }
}
