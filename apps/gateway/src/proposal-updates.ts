import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Topology } from '@halm/contracts';
import { OPEN_LIFECYCLES, type ProposalLifecycle, type ProposalRow } from '@halm/domain';
import { NATS_CONNECTION, TOPOLOGY } from '@halm/messaging';
import { LOGGER } from '@halm/platform';
import type { Logger } from 'pino';

interface Waiter {
  /** Set when a notification came since the waiter last looked. */
  notified: boolean;
  wake: (() => void) | undefined;
}

const keyOf = (tenantId: string, proposalId: string): string => `${tenantId}\u0000${proposalId}`;

/**
 * Long-polls on proposals. One subscription per gateway to the projection's proposal-updated
 * notifications wakes the requests waiting on that proposal; they then read the projection
 * again. A lost notification costs only latency: every wait ends with a fresh read.
 */
@Injectable()
export class ProposalUpdates implements OnModuleInit, OnModuleDestroy {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private subscription: Subscription | undefined;
  private closing = false;

  constructor(
    @Inject(NATS_CONNECTION) private readonly connection: NatsConnection,
    @Inject(TOPOLOGY) private readonly topology: Topology,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.subscription = this.connection.subscribe(this.topology.proposalUpdatedSubjects, {
      callback: (error, message) => {
        if (error) return;
        try {
          const tenantId = message.subject.slice(message.subject.lastIndexOf('.') + 1);
          const { proposalId } = message.json<{ proposalId: string }>();
          for (const waiter of this.waiters.get(keyOf(tenantId, proposalId)) ?? []) {
            waiter.notified = true;
            waiter.wake?.();
          }
        } catch (error) {
          this.logger.warn({ err: error, subject: message.subject }, 'malformed proposal-updated notification ignored');
        }
      },
    });
  }

  /** A stopping gateway answers every long-poll with the state it has now, instead of making them wait. */
  onModuleDestroy(): void {
    this.closing = true;
    for (const waiters of this.waiters.values()) for (const waiter of waiters) waiter.wake?.();
    this.subscription?.unsubscribe();
  }

  /**
   * The proposal as `read` returns it once it is no longer open or its lifecycle changed, or
   * when `timeoutMs` passed or `signal` aborted, whichever comes first. A proposal not
   * projected yet (its decision was only just recorded) is waited for as well.
   */
  async waitFor(tenantId: string, proposalId: string, timeoutMs: number, read: () => Promise<ProposalRow | undefined>, signal?: AbortSignal): Promise<ProposalRow | undefined> {
    const key = keyOf(tenantId, proposalId);
    const waiter: Waiter = { notified: false, wake: undefined };
    // Listening before the first read: a change committed in between still wakes this waiter.
    const waiters = this.waiters.get(key) ?? new Set<Waiter>();
    waiters.add(waiter);
    this.waiters.set(key, waiters);
    const deadline = performance.now() + timeoutMs;
    const timer = setTimeout(() => waiter.wake?.(), timeoutMs);
    const onAbort = () => waiter.wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      let current = await read();
      // The lifecycle the proposal was first seen in; a change from it answers the wait.
      let baseline: ProposalLifecycle | undefined;
      for (;;) {
        baseline ??= current?.lifecycle;
        if (current && (!OPEN_LIFECYCLES.includes(current.lifecycle) || current.lifecycle !== baseline)) return current;
        if (!waiter.notified) {
          await new Promise<void>((resolve) => {
            waiter.wake = resolve;
            if (this.closing || signal?.aborted || performance.now() >= deadline) resolve();
          });
          waiter.wake = undefined;
        }
        const notified = waiter.notified;
        waiter.notified = false;
        current = await read();
        if (!notified) return current;
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      waiters.delete(waiter);
      if (waiters.size === 0 && this.waiters.get(key) === waiters) this.waiters.delete(key);
    }
  }
}
