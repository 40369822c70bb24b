/** Editor tokens and rate-limit counters on Redis (see tokens.ts and rate-limiter.ts for the contracts). */
import type { Redis } from 'ioredis';
import type { Keys } from './keys';
import type { RateLimiter, RateLimitResult } from './rate-limiter';
import { AUTHENTICATE_TOKEN, RATE_HIT } from './redis-scripts';
import { byCreation, newSecret, newTokenId, sameHash, secretHash, type TokenRecord, type TokenStore } from './tokens';
import { readHashes, translateRedisError } from './redis-timeline';

export class RedisTokenStore implements TokenStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async create(input: { name: string; blogs: string[] }, now: Date) {
    const secret = newSecret();
    const record: TokenRecord = { id: newTokenId(), name: input.name, blogs: [...input.blogs], createdAt: now.toISOString() };
    const hash = secretHash(secret);
    await this.run(() =>
      this.redis
        .multi()
        .hset(this.keys.token(record.id), { id: record.id, name: record.name, blogs: JSON.stringify(record.blogs), createdAt: record.createdAt, hash })
        .set(this.keys.tokenByHash(hash), record.id)
        .sadd(this.keys.tokenIndex, record.id)
        .exec(),
    );
    return { record, secret };
  }

  async list(): Promise<TokenRecord[]> {
    return this.run(async () => {
      const ids = await this.redis.smembers(this.keys.tokenIndex);
      const hashes = await readHashes(this.redis, ids.map((id) => this.keys.token(id)));
      return hashes.flatMap((fields) => tokenFromHash(fields) ?? []).sort(byCreation);
    });
  }

  async revoke(tokenId: string): Promise<boolean> {
    return this.run(async () => {
      const hash = await this.redis.hget(this.keys.token(tokenId), 'hash');
      if (!hash) return false;
      await this.redis.multi().del(this.keys.token(tokenId)).del(this.keys.tokenByHash(hash)).srem(this.keys.tokenIndex, tokenId).exec();
      return true;
    });
  }

  async authenticate(secret: string, now: Date): Promise<TokenRecord | null> {
    const hash = secretHash(secret);
    return this.run(async () => {
      const flat = (await AUTHENTICATE_TOKEN.run(this.redis, [this.keys.tokenByHash(hash)], [now.toISOString(), this.keys.token('')])) as string[] | null;
      if (!flat) return null;
      const fields: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
      return fields.hash && sameHash(fields.hash, hash) ? tokenFromHash(fields) : null;
    });
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translateRedisError(error);
    }
  }
}

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async hit(bucket: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const [count, ttl] = await this.count(bucket, 1, windowMs);
    return { allowed: count <= limit, remaining: Math.max(0, limit - count), resetMs: Math.max(0, ttl) };
  }

  async add(bucket: string, hits: number, windowMs: number): Promise<{ count: number }> {
    const [count] = await this.count(bucket, hits, windowMs);
    return { count };
  }

  /** Adds `hits` to the bucket's current window: its total, and the ms until it resets. */
  private async count(bucket: string, hits: number, windowMs: number): Promise<[number, number]> {
    const window = Math.floor(Date.now() / windowMs);
    try {
      return (await RATE_HIT.run(this.redis, [this.keys.rate(bucket, window)], [windowMs, hits])) as [number, number];
    } catch (error) {
      throw translateRedisError(error);
    }
  }
}

function tokenFromHash(fields: Record<string, string>): TokenRecord | null {
  if (!fields.id) return null;
  return {
    id: fields.id,
    name: fields.name,
    blogs: JSON.parse(fields.blogs) as string[],
    createdAt: fields.createdAt,
    ...(fields.lastUsedAt ? { lastUsedAt: fields.lastUsedAt } : {}),
  };
}
