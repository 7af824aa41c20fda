import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  JetStreamApiError,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

/** What happens to a message once its batch was handled. */
export type Verdict = { kind: 'ack' } | { kind: 'nak'; delayMs: number } | { kind: 'term'; reason: string };

export const Verdicts = {
  /** Done with it: never deliver it again. */
  ack: (): Verdict => ({ kind: 'ack' }),
  /** Not now: deliver it again (to any consumer instance) after `delayMs`. */
  nak: (delayMs: number): Verdict => ({ kind: 'nak', delayMs }),
  /** It can never be handled: stop delivering it. */
  term: (reason: string): Verdict => ({ kind: 'term', reason }),
} as const;

export interface DurableConsumerConfig {
  stream: string;
  /** `<app>--<purpose>`; every instance of the app shares it, so they split the messages. */
  durable: string;
  /** Only these subjects of the stream; all of them when absent. */
  filterSubjects?: string[];
  /** How long a delivered message may stay unsettled before JetStream delivers it again. */
  ackWaitMs: number;
  /** Unsettled messages the consumer hands out at most, over all instances. */
  maxAckPending?: number;
}

// Terms are sent without a reason (the reason is logged): servers before 2.10.4 ignore `+TERM <reason>`.
const CONSUMER_NOT_FOUND = 10014;
// Another instance created the same consumer at the same moment.
const CONSUMER_ALREADY_EXISTS = new Set([10013, 10148]);

/**
 * Creates a durable pull consumer with explicit acks that delivers every message of the
 * stream from the start and never gives up on one (max_deliver unlimited), unless it exists.
 * An existing consumer is left as it is: its position is what matters.
 */
export const ensureDurableConsumer = async (manager: JetStreamManager, config: DurableConsumerConfig): Promise<void> => {
  const existing = await manager.consumers.info(config.stream, config.durable).catch((error: unknown) => {
    if (error instanceof JetStreamApiError && error.code === CONSUMER_NOT_FOUND) return null;
    throw error;
  });
  if (existing) return;
  await manager.consumers
    .add(config.stream, {
      durable_name: config.durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: config.ackWaitMs * 1_000_000,
      max_deliver: -1,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: config.maxAckPending ?? 1_000,
      ...(config.filterSubjects ? { filter_subjects: config.filterSubjects } : {}),
    })
    .catch((error: unknown) => {
      if (error instanceof JetStreamApiError && CONSUMER_ALREADY_EXISTS.has(error.code)) return;
      throw error;
    });
};

export interface BatchConsumerOptions<T> {
  connection: NatsConnection;
  stream: string;
  durable: string;
  /** Most messages handed to `handle` at once. */
  maxBatch: number;
  /** Turns a message into what `handle` takes; a message it throws on is terminated (it would fail every time). */
  decode: (message: JsMsg) => T;
  /** Handles a batch and answers one verdict per item, in order. Messages are settled only after it returns. */
  handle: (items: T[]) => Promise<Verdict[]>;
  /** When `handle` throws, the whole batch is delivered again after this delay. */
  retryDelayMs: number;
  /**
   * While messages keep coming, a batch starts at most this long after the one before, so
   * one `handle` covers what arrived meanwhile; a message after a quiet spell is handled at
   * once. 0 (the default) handles what has arrived as soon as the previous batch is done.
   */
  gatherMs?: number;
  logger: Logger;
}

export interface RunningConsumer {
  /** Stops pulling and waits for the batch being handled; messages pulled but not handled come again after the ack wait. */
  stop(): Promise<void>;
}

// A pull request waits this long at the server for messages before the next one replaces it.
const FETCH_EXPIRES_MS = 10_000;
const FETCH_RETRY_MS = 1_000;

/**
 * Consumes a durable pull consumer in batches with explicit ack, nak or term for every
 * message. Each pull asks for at most `maxBatch` messages, so an instance holds no more
 * than it is about to handle and the others get the rest. What has arrived is handled at
 * once as one batch; what arrives meanwhile forms the next, so a busy consumer handles
 * large batches and an idle one each message without delay.
 */
export const consumeInBatches = async <T>(options: BatchConsumerOptions<T>): Promise<RunningConsumer> => {
  const consumer = await jetstream(options.connection).consumers.get(options.stream, options.durable);
  let stopped = false;
  let current: ConsumerMessages | undefined;
  let wake: (() => void) | undefined;

  const settle = async (batch: JsMsg[]): Promise<void> => {
    const decoded: { message: JsMsg; item: T }[] = [];
    for (const message of batch) {
      try {
        decoded.push({ message, item: options.decode(message) });
      } catch (error) {
        options.logger.error({ err: error, stream: options.stream, sequence: message.seq }, 'undecodable message terminated');
        message.term();
      }
    }
    if (decoded.length === 0) return;
    let verdicts: Verdict[];
    try {
      verdicts = await options.handle(decoded.map((entry) => entry.item));
      if (verdicts.length !== decoded.length) throw new Error(`handle answered ${verdicts.length} verdicts for ${decoded.length} messages`);
    } catch (error) {
      options.logger.error({ err: error, consumer: options.durable, messages: decoded.length }, 'batch failed; it will be delivered again');
      for (const { message } of decoded) message.nak(options.retryDelayMs);
      return;
    }
    decoded.forEach(({ message }, index) => {
      const verdict = verdicts[index]!;
      if (verdict.kind === 'ack') message.ack();
      else if (verdict.kind === 'nak') message.nak(verdict.delayMs);
      else {
        options.logger.error({ stream: options.stream, sequence: message.seq, reason: verdict.reason }, 'message terminated');
        message.term();
      }
    });
  };

  const gatherMs = options.gatherMs ?? 0;
  let nextBatchAt = 0;
  const run = async (): Promise<void> => {
    while (!stopped) {
      try {
        current = await consumer.fetch({ max_messages: options.maxBatch, expires: FETCH_EXPIRES_MS });
        let batch: JsMsg[] = [];
        for await (const message of current) {
          if (stopped) {
            message.nak();
            continue;
          }
          batch.push(message);
          if (current.getPending() > 0) continue;
          const early = nextBatchAt - performance.now();
          if (early > 0 && batch.length < options.maxBatch) {
            // What arrives meanwhile joins this batch: one transaction, say, instead of several.
            await new Promise((resolve) => setTimeout(resolve, early));
            if (current.getPending() > 0) continue;
          }
          nextBatchAt = performance.now() + gatherMs;
          await settle(batch);
          batch = [];
        }
        if (batch.length > 0) await settle(batch);
      } catch (error) {
        if (stopped) break;
        options.logger.warn({ err: error, consumer: options.durable }, 'pulling messages failed; trying again');
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, FETCH_RETRY_MS);
        });
      }
    }
  };
  const running = run();

  return {
    stop: async () => {
      stopped = true;
      wake?.();
      await current?.close();
      await running;
    },
  };
};
