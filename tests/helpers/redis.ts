/**
 * Tests use the machine's real Redis, each under a key prefix of its own, and delete only the keys
 * under that prefix: never another test's data, never anyone else's.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function testPrefix(name: string): string {
  return `lbtest:${name}:${randomBytes(4).toString('hex')}:`;
}

export function connectRedis(url = TEST_REDIS_URL): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
}

export { deletePrefix } from '../../bench/redis';

export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found.sort();
}

/**
 * The keys that hold data: every key under the prefix but the rate-limit counters, which every request
 * (and every new connection, in whichever window it opens) is meant to move, the job queues' own
 * bookkeeping (BullMQ writes `meta` and `stalled-check` when a worker starts and every few seconds after),
 * and the outbox's cursors.
 */
export async function dataKeysUnder(redis: Redis, prefix: string): Promise<string[]> {
  return (await keysUnder(redis, prefix)).filter(
    (key) =>
      !key.startsWith(`${prefix}rate:`) &&
      !/:q:\{[a-z]+\}:(meta|stalled-check)$/.test(key) &&
      // The outbox's cursors, written a moment after a blog is created, one per handler: a snapshot taken
      // right after creating one may come between them. What the outbox hands over lives in other keys.
      !/:outbox:[a-z]+$/.test(key),
  );
}
