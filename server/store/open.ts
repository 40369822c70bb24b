/** Chooses and opens the store: Redis when configured or answering on localhost, else in memory. */
import { Redis } from 'ioredis';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { MemorySessionStore, type SessionStore } from './sessions';
import { MemoryAuditLog, type AuditLog } from './audit';
import { MemoryTimeline } from './memory-timeline';
import { MemoryPeopleStore, type PeopleStore } from './people';
import { MemoryRateLimiter, type RateLimiter } from './rate-limiter';
import { createRedisClient, describeTarget, parseRedisUrl, redactUrl, type RedisClient, type RedisTarget } from './redis/connection';
import { redisKeys, type Keys } from './redis/keys';
import { RedisAuditLog } from './redis/audit';
import { RedisPeopleStore } from './redis/people';
import { RedisRateLimiter } from './redis/rate-limiter';
import { RedisSessionStore } from './redis/sessions';
import { RedisTimeline } from './redis/timeline';
import { RedisTokenStore } from './redis/tokens';
import type { Timeline } from './timeline';
import { MemoryTokenStore, type TokenStore } from './tokens';

/** Everything the service keeps, on one backend. */
export interface Stores {
  timeline: Timeline;
  tokens: TokenStore;
  rateLimiter: RateLimiter;
  /** The audit trail: blogs' entries come with their writes; people and tokens are recorded here. */
  audit: AuditLog;
  /** People's accounts and their invitation and setup links. */
  people: PeopleStore;
  /** Signed-in people's sessions. */
  sessions: SessionStore;
  /** When on Redis: what the processes sharing it need to talk to each other (see realtime/bus.ts). */
  redis?: SharedRedis;
  close(): Promise<void>;
}

export interface SharedRedis {
  /** The connection for reads (and for publishing to other processes). */
  client: RedisClient;
  keys: Keys;
  /** The connection for writes (each followed by WAIT for `minReplicas`). */
  writer: RedisClient;
  minReplicas: number;
  /** The deployment's key prefix (Keys are built from it; job queues put theirs under it). */
  prefix: string;
  /** A new connection for subscribing, on the same Redis. */
  subscriber(): RedisClient;
  /** A new connection for a job queue (server/reach/queues.ts), on the same Redis: the caller closes it. */
  queueConnection(): RedisClient;
}

export interface RedisStoreOptions {
  prefix: string;
  historyLength: number;
  /** Replicas that must hold a write before it is acknowledged. */
  minReplicas: number;
}

export function memoryStores(historyLength: number): Stores {
  // One trail: the timeline appends blogs' entries in its writes, `audit` reads them (and records the service's).
  const audit = new MemoryAuditLog();
  return {
    timeline: new MemoryTimeline({ historyLength, audit }),
    tokens: new MemoryTokenStore(),
    rateLimiter: new MemoryRateLimiter(),
    people: new MemoryPeopleStore(audit),
    sessions: new MemorySessionStore(),
    audit,
    close: async () => {},
  };
}

/** The stores on Redis: a connection for reads, one for writes (each followed by WAIT), and subscribers on demand. */
export async function redisStores(target: RedisTarget, logger: Logger, options: RedisStoreOptions): Promise<Stores> {
  const client = createRedisClient(target, logger);
  const writer = createRedisClient(target, logger);
  // Connect now, but start even if Redis is down: /readyz says so and the clients keep trying.
  await Promise.all(
    [client, writer].map((c) =>
      c
        .connect()
        .catch((error: Error) =>
          logger.error({ err: error, redis: describeTarget(target) }, 'redis is not answering yet; retrying in the background'),
        ),
    ),
  );
  const keys = redisKeys(options.prefix);
  const timeline = new RedisTimeline(client, writer, options);
  return {
    timeline,
    tokens: new RedisTokenStore(client, writer, keys, options.minReplicas),
    rateLimiter: new RedisRateLimiter(client, keys),
    people: new RedisPeopleStore(client, writer, keys, options.minReplicas),
    sessions: new RedisSessionStore(client, writer, keys, options.minReplicas),
    audit: new RedisAuditLog(client, writer, keys, options.minReplicas),
    redis: {
      client,
      writer,
      minReplicas: options.minReplicas,
      prefix: options.prefix,
      keys,
      subscriber: () => createRedisClient(target, logger, { subscriber: true }),
      queueConnection: () => createRedisClient(target, logger, { queue: true }),
    },
    close: () => timeline.close(),
  };
}

const MEMORY_WARNING = 'the in-process store keeps nothing across a restart and is not shared between processes';

export async function openStores(config: Config, logger: Logger): Promise<Stores> {
  if (config.redisUrl === 'memory') {
    logger.warn(`REDIS_URL=memory: ${MEMORY_WARNING}`);
    return memoryStores(config.historyLength);
  }
  const url = config.redisUrl ?? config.redisProbeUrl;
  const target = parseRedisUrl(url);
  if (!config.redisUrl && !(await answers(url))) {
    logger.warn({ redis: redactUrl(url) }, `no Redis answers and REDIS_URL is unset: using the in-process store; ${MEMORY_WARNING}`);
    return memoryStores(config.historyLength);
  }
  const minReplicas = config.minReplicas ?? (target.kind === 'single' ? 0 : 1);
  logger.info({ redis: describeTarget(target), minReplicas }, 'using redis');
  return redisStores(target, logger, { prefix: config.redisPrefix, historyLength: config.historyLength, minReplicas });
}

/** Whether a lone Redis answers at `url` within half a second. */
async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => {}); // the outcome is read from connect() below
  try {
    await probe.connect();
    await probe.ping();
    await probe.quit();
    return true;
  } catch {
    probe.disconnect();
    return false;
  }
}
