/**
 * Prometheus metrics (GET /metrics): the process's defaults plus what operators of a live blog watch.
 * Label sets are bounded: per-blog readers are labelled for the busiest blogs only, the rest summed.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventType } from '../shared/schemas';

/** Blogs labelled one by one in `liveblog_readers`; the others are summed under `blog="_other"`. */
export const LABELLED_BLOGS = 50;

export class Metrics {
  readonly registry = new Registry();
  readonly eventsPublished = new Counter({
    name: 'liveblog_events_published_total',
    help: 'Events stored and broadcast, by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly publishLatency = new Histogram({
    name: 'liveblog_publish_broadcast_seconds',
    help: 'From an editor’s write reaching the service to its event being broadcast (store included).',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly catchUp = new Histogram({
    name: 'liveblog_catchup_events',
    help: 'Events sent in a subscribe ack to a reader resuming from a cursor.',
    buckets: [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [this.registry],
  });
  readonly redisErrors = new Counter({
    name: 'liveblog_redis_errors_total',
    help: 'Redis connection errors and commands that failed because Redis was unreachable.',
    registers: [this.registry],
  });
  readonly pageCache = new Counter({
    name: 'liveblog_page_cache_requests_total',
    help: 'Pages, feeds and views served from the cache (hit) or rendered (miss).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor(readers: () => Map<string, number>, connections: () => number) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'liveblog_readers',
      help: `Readers connected to this process, by blog (the ${LABELLED_BLOGS} busiest; the rest under "_other").`,
      labelNames: ['blog'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const sorted = [...readers()].sort((a, b) => b[1] - a[1]);
        for (const [blogId, count] of sorted.slice(0, LABELLED_BLOGS)) this.set({ blog: blogId }, count);
        const rest = sorted.slice(LABELLED_BLOGS).reduce((sum, [, count]) => sum + count, 0);
        if (rest) this.set({ blog: '_other' }, rest);
      },
    });
    new Gauge({
      name: 'liveblog_connections',
      help: 'Socket.IO connections open on this process (readers and editors).',
      registers: [this.registry],
      collect() {
        this.set(connections());
      },
    });
  }

  published(type: EventType, startedAt: bigint): void {
    this.eventsPublished.inc({ type });
    this.publishLatency.observe(Number(process.hrtime.bigint() - startedAt) / 1e9);
  }
}
