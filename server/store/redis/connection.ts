/**
 * The Redis connections: one server, a primary with replicas behind Sentinel, or a Cluster, from
 * `REDIS_URL`; and the durability step that acknowledges a write only once enough replicas hold it.
 */
import { Cluster, Redis, type ChainableCommander, type ClusterNode, type RedisOptions } from 'ioredis';
import type { Logger } from '../../logger';
import { TimelineError } from '../timeline';
import { defineScripts } from './scripts';

export type RedisClient = Redis | Cluster;

export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'sentinel'; sentinels: { host: string; port: number }[]; name: string; db: number; username?: string; password?: string }
  | { kind: 'cluster'; nodes: ClusterNode[]; username?: string; password?: string };

/** How long a command may wait for Redis before the request answers 503. */
export const REDIS_COMMAND_TIMEOUT_MS = 1_500;
/** How long a write waits for its replicas (below the command timeout, so that the answer is ours). */
export const REPLICA_WAIT_MS = 1_000;
/** A client that ended without being closed connects again after this. */
const RECONNECT_AFTER_END_MS = 200;
/** Clients being closed on purpose (see closeRedisClient). */
const closing = new WeakSet<RedisClient>();

/**
 * Closes a client for good: QUIT, then a disconnect. QUIT alone leaves a Sentinel client's failover
 * detector subscribed to every sentinel, reconnecting for ever (ioredis #1362, fixed upstream after
 * 5.11); disconnect() ends those too, and does nothing more to a client QUIT has ended.
 */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  closing.add(client);
  await client.quit().catch(() => undefined);
  client.disconnect();
}

/** How often a Cluster client re-reads which node serves which slot. */
const SLOTS_REFRESH_MS = 1_000;
/**
 * A write redirected (MOVED: it did not run) is sent again after refreshing the slots, after each of
 * these pauses; still redirected, it answers 503 (a Cluster failover takes a few seconds, and the desk
 * retries with its Idempotency-Key).
 */
const MOVED_RETRY_DELAYS_MS = [0, 150, 400];

const MULTI_HOST = /^(redis-sentinel|redis-cluster):\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)(?:\/([^?#]*))?$/;

/** Reads `REDIS_URL`: `redis://`, `rediss://`, `redis-sentinel://h:p[,h:p]/MASTER[/db]`, `redis-cluster://h:p[,h:p]`. */
export function parseRedisUrl(url: string): RedisTarget {
  const match = MULTI_HOST.exec(url);
  if (!match) {
    if (!/^rediss?:\/\//.test(url))
      throw new Error(`REDIS_URL must start with redis://, rediss://, redis-sentinel:// or redis-cluster:// (got ${redactUrl(url)})`);
    return { kind: 'single', url };
  }
  const [, scheme, user, pass, hostList, path = ''] = match;
  const hosts = hostList.split(',').map((entry) => {
    const hostPort = /^([^:]+|\[[^\]]+\]):(\d{1,5})$/.exec(entry.trim());
    if (!hostPort) throw new Error(`REDIS_URL has "${entry}" where host:port belongs`);
    return { host: hostPort[1].replace(/^\[|\]$/g, ''), port: Number(hostPort[2]) };
  });
  const credentials = {
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(pass ? { password: decodeURIComponent(pass) } : {}),
  };
  if (scheme === 'redis-cluster') {
    if (path) throw new Error('REDIS_URL names a database, which a Redis Cluster does not have: drop the path after the hosts');
    return { kind: 'cluster', nodes: hosts, ...credentials };
  }
  const [name, db = '0'] = path.split('/');
  if (!name) throw new Error('REDIS_URL must name the primary after the sentinels, as in redis-sentinel://host:26379/mymaster');
  if (!/^\d{1,2}$/.test(db)) throw new Error(`REDIS_URL has "${db}" where a database number belongs`);
  return { kind: 'sentinel', sentinels: hosts, name: decodeURIComponent(name), db: Number(db), ...credentials };
}

export interface ClientOptions {
  /** A subscriber connection: on a Cluster, sharded pub/sub connects to each shard's primary. */
  subscriber?: boolean;
  /**
   * A job queue's connection (BullMQ, server/reach/queues.ts): commands may block and wait through a
   * reconnection, as BullMQ's workers require (`maxRetriesPerRequest: null`, no command timeout).
   */
  queue?: boolean;
}

/**
 * A client that fails fast while Redis is away (so writes answer 503 instead of hanging in the offline
 * queue), keeps reconnecting in the background, follows a Sentinel failover (a write refused as
 * READONLY by a demoted primary reconnects to the new one) and has the service's scripts defined.
 */
export function createRedisClient(target: RedisTarget, logger: Logger, options: ClientOptions = {}): RedisClient {
  const common: RedisOptions = {
    maxRetriesPerRequest: options.queue ? null : 1,
    commandTimeout: options.subscriber || options.queue ? undefined : REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    // A primary demoted by a failover answers writes with READONLY: reconnect, and ask the sentinels again.
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
    lazyConnect: true,
  };
  let client: RedisClient;
  if (target.kind === 'single') {
    client = new Redis(target.url, common);
  } else if (target.kind === 'sentinel') {
    client = new Redis({
      ...common,
      sentinels: target.sentinels,
      name: target.name,
      db: target.db,
      username: target.username,
      password: target.password,
      sentinelRetryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      // Listens to the sentinels' +switch-master, so a switchover is followed at once, not at the next error.
      failoverDetector: true,
    });
  } else {
    client = new Cluster(target.nodes, {
      redisOptions: { ...common, username: target.username, password: target.password },
      lazyConnect: true,
      clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      enableOfflineQueue: true,
      enableAutoPipelining: !options.subscriber && !options.queue,
      shardedSubscribers: !!options.subscriber,
      // Without a periodic refresh, ioredis keeps a stale slot map after a failover: a write+WAIT
      // pipeline is answered MOVED for good (it is only retried when every reply is read-only), and a
      // sharded subscription dropped by a CLUSTER FAILOVER is never made again.
      slotsRefreshInterval: SLOTS_REFRESH_MS,
    });
  }
  defineScripts(client);
  let down = false;
  const where = describeTarget(target);
  // ioredis can end a client for good without being asked: its Sentinel failover detector, reacting
  // to +switch-master while the client is between reconnection attempts, leaves it `end`ed, and every
  // command then fails with "Connection is closed" until the process restarts. A client that ends
  // without closeRedisClient() connects again.
  client.on('end', () => {
    if (closing.has(client)) return;
    logger.warn({ redis: where }, 'redis connection ended unasked; connecting again');
    setTimeout(() => {
      if (!closing.has(client))
        client.connect().catch((error: Error) => logger.error({ err: error, redis: where }, 'redis reconnection failed; retrying'));
    }, RECONNECT_AFTER_END_MS).unref();
  });
  client.on('error', (error: Error) => {
    if (!down) logger.error({ err: error, redis: where }, 'redis connection failed');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info({ redis: where }, 'redis connection restored');
    down = false;
  });
  return client;
}

/**
 * Runs the commands `build` queues (all on one Cluster slot) and then, when `minReplicas` > 0, Redis
 * `WAIT`s on the same connection: the write is acknowledged only once that many replicas hold it.
 * Otherwise `unavailable` (503): the write may or may not survive a failover, and a retry with the same
 * Idempotency-Key stores it once either way.
 */
export async function writeDurably(
  client: RedisClient,
  minReplicas: number,
  build: (pipeline: ChainableCommander) => void,
): Promise<unknown[]> {
  for (let attempt = 0; ; attempt++) {
    const pipeline = client.pipeline();
    build(pipeline);
    if (minReplicas > 0) pipeline.wait(minReplicas, REPLICA_WAIT_MS);
    const replies = (await pipeline.exec()) ?? [];
    // A Cluster slot moved to another node (a failover): nothing ran there; ask again where, and resend.
    if (client instanceof Cluster && replies.some(([error]) => error?.message.startsWith('MOVED '))) {
      if (attempt >= MOVED_RETRY_DELAYS_MS.length) throw new TimelineError('unavailable', 'the cluster is failing over: try again shortly');
      await new Promise((resolve) => setTimeout(resolve, MOVED_RETRY_DELAYS_MS[attempt]));
      await new Promise<void>((resolve) => client.refreshSlotsCache(() => resolve()));
      continue;
    }
    const results: unknown[] = [];
    for (const [error, result] of replies.slice(0, minReplicas > 0 ? -1 : undefined)) {
      if (error) throw error;
      results.push(result);
    }
    if (minReplicas > 0) {
      const [waitError, acked] = replies.at(-1)!;
      if (waitError) throw waitError;
      if ((acked as number) < minReplicas) {
        throw new TimelineError(
          'unavailable',
          `the write reached ${String(acked)} of the ${minReplicas} replicas required in ${REPLICA_WAIT_MS} ms`,
        );
      }
    }
    return results;
  }
}

export function describeTarget(target: RedisTarget): string {
  if (target.kind === 'single') return redactUrl(target.url);
  const hosts = (target.kind === 'sentinel' ? target.sentinels : target.nodes).map(
    (node) => `${String((node as { host: string }).host)}:${String((node as { port: number }).port)}`,
  );
  return target.kind === 'sentinel' ? `redis-sentinel://${hosts.join(',')}/${target.name}` : `redis-cluster://${hosts.join(',')}`;
}

/** A Redis URL without its password, fit for a log line. */
export function redactUrl(url: string): string {
  const match = MULTI_HOST.exec(url);
  if (match) return url.replace(/\/\/[^@/]*@/, '//***@');
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis://(unparseable url)';
  }
}
