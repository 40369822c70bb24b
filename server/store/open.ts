/** Chooses and opens the store: Redis when configured or answering on localhost, else in memory. */
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { redisKeys } from './keys';
import { MemoryTimeline } from './memory-timeline';
import { MemoryRateLimiter, type RateLimiter } from './rate-limiter';
import { RedisTimeline } from './redis-timeline';
import { RedisRateLimiter, RedisTokenStore } from './redis-tokens';
import type { Timeline } from './timeline';
import { MemoryTokenStore, type TokenStore } from './tokens';

/** Broadcasts kept in the adapter's stream (a process that lost Redis for a moment resumes from it). */
export const SOCKET_STREAM_LENGTH = 10_000;

/** How long a command may wait for Redis before the request answers 503. */
export const REDIS_COMMAND_TIMEOUT_MS = 1_500;

/**
 * A client that fails fast while Redis is away (so writes answer 503 instead of hanging in the offline
 * queue) and keeps reconnecting in the background.
 */
export function createRedisClient(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: true,
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) logger.error({ err: error, redis: redactUrl(url) }, 'redis connection failed');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info({ redis: redactUrl(url) }, 'redis connection restored');
    down = false;
  });
  return redis;
}

/** Everything the service keeps, on one backend. */
export interface Stores {
  timeline: Timeline;
  tokens: TokenStore;
  rateLimiter: RateLimiter;
  /** The Redis connection, when on Redis. */
  redis?: Redis;
  /** Socket.IO's Redis Streams adapter, when on Redis: processes sharing the Redis act as one. */
  socketAdapter?: ReturnType<typeof createAdapter>;
  close(): Promise<void>;
}

export function memoryStores(historyLength: number): Stores {
  return {
    timeline: new MemoryTimeline({ historyLength }),
    tokens: new MemoryTokenStore(),
    rateLimiter: new MemoryRateLimiter(),
    close: async () => {},
  };
}

export function redisStores(redis: Redis, options: { prefix: string; historyLength: number }): Stores {
  const keys = redisKeys(options.prefix);
  const timeline = new RedisTimeline(redis, options);
  return {
    timeline,
    tokens: new RedisTokenStore(redis, keys),
    rateLimiter: new RedisRateLimiter(redis, keys),
    redis,
    socketAdapter: createAdapter(redis, {
      streamName: keys.socketStream,
      maxLen: SOCKET_STREAM_LENGTH,
      // Below the client's command timeout, so that a quiet stream is not taken for a dead Redis.
      blockTimeInMs: 500,
      onlyPlaintext: true,
    }),
    close: () => timeline.close(),
  };
}

const MEMORY_WARNING = 'the in-process store keeps nothing across a restart and is not shared between processes';

export async function openStores(config: Config, logger: Logger): Promise<Stores> {
  const options = { prefix: config.redisPrefix, historyLength: config.historyLength };
  if (config.redisUrl === 'memory') {
    logger.warn(`REDIS_URL=memory: ${MEMORY_WARNING}`);
    return memoryStores(config.historyLength);
  }
  if (config.redisUrl) {
    const redis = createRedisClient(config.redisUrl, logger);
    // Connect now, but start even if Redis is down: /readyz says so and the client keeps trying.
    await redis.connect().catch((error: Error) => logger.error({ err: error }, 'redis is not answering yet; retrying in the background'));
    return redisStores(redis, options);
  }
  const probe = new Redis(config.redisProbeUrl, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {}); // the outcome is read from connect() below
  try {
    await probe.connect();
    await probe.ping();
    await probe.quit();
  } catch (error) {
    probe.disconnect();
    logger.warn(
      { redis: redactUrl(config.redisProbeUrl), reason: (error as Error).message },
      `no Redis answers and REDIS_URL is unset: using the in-process store; ${MEMORY_WARNING}`,
    );
    return memoryStores(config.historyLength);
  }
  const redis = createRedisClient(config.redisProbeUrl, logger);
  await redis.connect();
  return redisStores(redis, options);
}

/** A Redis URL without its password, fit for a log line. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://(unparseable url)';
  }
}
