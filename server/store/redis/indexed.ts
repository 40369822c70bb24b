/** Reads every store of records on Redis shares: records by an index set, and which records still exist. */
import type { RedisClient } from './connection';

/** The hashes of the ids in the SET `index` (each read on its own: they may be in different Cluster slots). */
export async function readIndexed(redis: RedisClient, index: string, keyOf: (id: string) => string): Promise<Record<string, string>[]> {
  const ids = await redis.smembers(index);
  return Promise.all(ids.map((id) => redis.hgetall(keyOf(id))));
}

/** Which of these ids still have their key. */
export async function existing(redis: RedisClient, ids: string[], keyOf: (id: string) => string): Promise<Set<string>> {
  const exists = await Promise.all(ids.map((id) => redis.exists(keyOf(id))));
  return new Set(ids.filter((_, i) => exists[i] === 1));
}
