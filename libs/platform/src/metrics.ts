import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** One registry per process, exposed on GET /metrics in the Prometheus text format. */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Histogram({
    name: 'halm_http_request_duration_seconds',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly natsHandled = new Histogram({
    name: 'halm_nats_request_duration_seconds',
    help: 'NATS requests handled by subject and outcome',
    labelNames: ['subject', 'outcome'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });

  readonly decisions = new Counter({
    name: 'halm_decisions_total',
    help: 'Decisions answered, by status',
    labelNames: ['status'],
    registers: [this.registry],
  });

  readonly ledgerAppends = new Counter({
    name: 'halm_ledger_appends_total',
    help: 'Ledger appends by outcome (appended, duplicate, refused, conflict_retried, busy_retried, failed)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  readonly projectedEvents = new Counter({
    name: 'halm_projection_events_total',
    help: 'Ledger events handed to the PostgreSQL projections, by outcome (applied, duplicate, ahead, failed)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
  }
}
