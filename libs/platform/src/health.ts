import { Controller, Get, Inject, Injectable, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Metrics } from './metrics';

/** A readiness probe: resolves when the dependency answers, rejects with the reason when it does not. */
export type HealthCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2_000;

@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();
  private draining = false;

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  /** Called first thing on shutdown, so load balancers stop sending work before anything closes. */
  startDraining(): void {
    this.draining = true;
  }

  async report(): Promise<{ ready: boolean; checks: Record<string, { status: 'up' | 'down'; error?: string }> }> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
          return [name, { status: 'up' as const }] as const;
        } catch (error) {
          return [name, { status: 'down' as const, error: (error as Error).message }] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const ready = !this.draining && entries.every(([, result]) => result.status === 'up');
    return { ready, checks };
  }
}

const withTimeout = <T>(promise: Promise<T>, milliseconds: number): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${milliseconds} ms`)), milliseconds);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });

export const SERVICE_NAME = Symbol('SERVICE_NAME');

@Controller('health')
export class HealthController {
  constructor(
    private readonly registry: HealthRegistry,
    @Inject(SERVICE_NAME) private readonly service: string,
  ) {}

  /** Liveness: the process runs its event loop. */
  @Get('live')
  live() {
    return { status: 'ok', service: this.service };
  }

  /** Readiness: every dependency answers and the service is not shutting down. */
  @Get('ready')
  async ready(@Res() reply: FastifyReply) {
    const report = await this.registry.report();
    await reply.status(report.ready ? 200 : 503).send({ status: report.ready ? 'ok' : 'unavailable', service: this.service, checks: report.checks });
  }

  @Get()
  async health(@Res() reply: FastifyReply) {
    const report = await this.registry.report();
    await reply.status(report.ready ? 200 : 503).send({
      status: report.ready ? 'ok' : 'unavailable',
      service: this.service,
      live: true,
      ready: report.ready,
      checks: report.checks,
    });
  }
}

@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  async scrape(@Res() reply: FastifyReply) {
    await reply.header('content-type', this.metrics.registry.contentType).send(await this.metrics.registry.metrics());
  }
}
