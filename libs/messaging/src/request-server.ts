import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { RpcFailure, Topology } from '@halm/contracts';
import { inSpan, SpanKind, type Metrics } from '@halm/platform';
import type { Logger } from 'pino';
import { lastValueFrom } from 'rxjs';
import { traceContextOf } from './nats-headers';
import { RpcError, type RpcReply } from './rpc';

const INBOX_PREFIX = '_INBOX.';

/**
 * A Nest transport answering `@MessagePattern('<owner>.req.<name>')` handlers over core NATS,
 * one queue group per service so that instances share the work. The pattern is the logical
 * subject; the topology's namespace prefixes it. On close it stops taking requests and waits
 * for the ones in flight to answer before the connection drains.
 */
export class NatsRequestServer extends Server implements CustomTransportStrategy {
  private readonly subscriptions: Subscription[] = [];
  private inFlight = 0;
  private idle: (() => void) | undefined;

  constructor(
    private readonly connection: NatsConnection,
    private readonly topology: Topology,
    private readonly service: string,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    super();
  }

  listen(callback: () => void): void {
    const prefix = this.topology.namespace ? `${this.topology.namespace}.` : '';
    for (const [pattern, handler] of this.messageHandlers) {
      if (handler.isEventHandler) continue;
      const subject = `${prefix}${pattern}`;
      const subscription = this.connection.subscribe(subject, {
        queue: this.topology.queueGroup(this.service),
        callback: (error, message) => {
          if (error) {
            this.log.error({ err: error, subject }, 'subscription error');
            return;
          }
          void this.answer(pattern, message, (input) => handler(input));
        },
      });
      this.subscriptions.push(subscription);
    }
    callback();
  }

  private async answer(pattern: string, message: Msg, handle: (input: unknown) => Promise<unknown>): Promise<void> {
    // A reply goes wherever the requester says. A request whose reply subject is not an inbox
    // could make this service publish onto any subject it may publish to (a ledger subject,
    // for the ledger service), so it is dropped unanswered.
    if (!message.reply?.startsWith(INBOX_PREFIX)) {
      this.log.warn({ subject: message.subject, reply: message.reply ?? null }, 'request without an inbox reply subject dropped');
      this.metrics.natsHandled.observe({ subject: pattern, outcome: 'REJECTED_REPLY_SUBJECT' }, 0);
      return;
    }
    this.inFlight += 1;
    const started = process.hrtime.bigint();
    let outcome = 'ok';
    try {
      await inSpan(`handle ${pattern}`, SpanKind.SERVER, traceContextOf(message.headers), async () => {
        let reply: RpcReply<unknown>;
        try {
          const input: unknown = message.json();
          const value = await lastValueFrom(this.transformToObservable(await handle(input)), { defaultValue: null });
          reply = { ok: true, value };
        } catch (error) {
          const failure = toFailure(error);
          outcome = failure.code;
          if (failure.code === 'INTERNAL') this.log.error({ err: error, subject: message.subject }, 'request failed');
          reply = { ok: false, error: failure };
        }
        message.respond(JSON.stringify(reply));
      });
    } finally {
      this.metrics.natsHandled.observe({ subject: pattern, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
      this.inFlight -= 1;
      if (this.inFlight === 0) this.idle?.();
    }
  }

  async close(): Promise<void> {
    // Draining a subscription hands over what the server already sent us, then unsubscribes.
    await Promise.all(this.subscriptions.map((subscription) => subscription.drain().catch(() => undefined)));
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
  }

  on(): void {
    throw new Error('NatsRequestServer has no events');
  }

  unwrap<T>(): T {
    return this.connection as T;
  }
}

const toFailure = (error: unknown): RpcFailure => {
  if (error instanceof RpcError) return { code: error.code, message: error.message };
  if (error instanceof SyntaxError) return { code: 'BAD_REQUEST', message: `request is not valid JSON: ${error.message}` };
  return { code: 'INTERNAL', message: (error as Error)?.message ?? String(error) };
};
