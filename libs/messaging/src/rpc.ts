import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
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

interface PendingRequest {
  subject: string;
  resolve: (message: Msg) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Requests over core NATS: JSON in, JSON out, the trace context in the headers. The answers
 * to all of a client's requests arrive on one wildcard inbox subscription, as with the NATS
 * client's own request(); that one builds an Error with a stack trace for every request it
 * completes (nats.js 3.4), a few percent of the gateway's CPU per authorize.
 */
export class RpcClient {
  private inbox: string | undefined;
  private readonly pending = new Map<string, PendingRequest>();
  private nextToken = 0;

  constructor(private readonly connection: NatsConnection) {}

  async request<TRequest, TReply>(subject: string, body: TRequest, timeoutMs: number): Promise<TReply> {
    return inSpan(`request ${subject}`, SpanKind.CLIENT, context.active(), async () => {
      const message = await this.send(subject, JSON.stringify(body), timeoutMs);
      const reply = message.json<RpcReply<TReply>>();
      if (!reply.ok) throw new RpcError(reply.error.code, reply.error.message);
      return reply.value;
    });
  }

  /**
   * A request whose body and answer are not the RpcReply JSON of `*.req.*` subjects, such as a
   * JetStream publish (answered by the stream's acknowledgement); the same inbox and failures.
   */
  requestMessage(subject: string, data: string, timeoutMs: number, headers: MsgHdrs): Promise<Msg> {
    return this.send(subject, data, timeoutMs, headers);
  }

  private send(subject: string, data: string, timeoutMs: number, headers: MsgHdrs = tracedHeaders()): Promise<Msg> {
    return new Promise<Msg>((resolve, reject) => {
      const token = String((this.nextToken += 1));
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new RpcError('UNAVAILABLE', `no answer on ${subject} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, { subject, resolve, reject, timer });
      try {
        this.connection.publish(subject, data, { reply: `${this.inboxSubject()}.${token}`, headers });
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(token);
        reject(new RpcError('UNAVAILABLE', `request on ${subject} failed: ${(error as Error).message}`));
      }
    });
  }

  private inboxSubject(): string {
    if (this.inbox !== undefined) return this.inbox;
    const inbox = createInbox();
    this.connection.subscribe(`${inbox}.*`, {
      callback: (error, message) => {
        if (error) {
          this.inbox = undefined;
          this.failAll(error.message);
          return;
        }
        const token = message.subject.slice(inbox.length + 1);
        const request = this.pending.get(token);
        // An answer after its request timed out.
        if (!request) return;
        this.pending.delete(token);
        clearTimeout(request.timer);
        // The server's own answer when nobody subscribes to the subject.
        if (message.data.length === 0 && message.headers?.code === 503) request.reject(new RpcError('UNAVAILABLE', `no service answers ${request.subject}`));
        else request.resolve(message);
      },
    });
    void this.connection.closed().then(() => this.failAll('the NATS connection closed'));
    this.inbox = inbox;
    return inbox;
  }

  private failAll(reason: string): void {
    for (const [token, request] of this.pending) {
      this.pending.delete(token);
      clearTimeout(request.timer);
      request.reject(new RpcError('UNAVAILABLE', `request on ${request.subject} failed: ${reason}`));
    }
  }
}
