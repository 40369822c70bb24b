/** Starts the real app on an ephemeral port against a real Redis under a test prefix. */
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { createApp, type App } from '../../server/app';
import { createLogger } from '../../server/logger';
import { createRedisClient } from '../../server/store/open';
import { MemoryTimeline } from '../../server/store/memory-timeline';
import { RedisTimeline } from '../../server/store/redis-timeline';
import type { Timeline } from '../../server/store/timeline';
import { connectRedis, deletePrefix, TEST_REDIS_URL } from './redis';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestServer {
  url: string;
  port: number;
  app: App;
  timeline: Timeline;
  /** Stops the app and closes its store (the data stays in Redis). */
  stop(): Promise<void>;
}

export interface StartOptions {
  prefix: string;
  /** Reuse a port (to restart "the same" server). @default an ephemeral one */
  port?: number;
  historyLength?: number;
  store?: 'redis' | 'memory';
  redisUrl?: string;
}

export async function startServer(options: StartOptions): Promise<TestServer> {
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  let timeline: Timeline;
  if (options.store === 'memory') {
    timeline = new MemoryTimeline({ historyLength: options.historyLength ?? 5000 });
  } else {
    const redis = createRedisClient(options.redisUrl ?? TEST_REDIS_URL, logger);
    await redis.connect();
    timeline = new RedisTimeline(redis, { prefix: options.prefix, historyLength: options.historyLength ?? 5000 });
  }
  const app = createApp({ adminToken: ADMIN_TOKEN }, { timeline, logger });
  await new Promise<void>((resolve) => app.server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    app,
    timeline,
    stop: async () => {
      await app.close();
      await timeline.close();
    },
  };
}

/** A Redis connection of the test's own, and a cleanup that deletes only the test's prefix. */
export function prefixCleaner(prefix: string): { redis: Redis; cleanup(): Promise<void> } {
  const redis = connectRedis();
  return {
    redis,
    cleanup: async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}
