/**
 * Editor tokens on Redis (see ../tokens.ts for the contract). A token's keys live in different Cluster
 * slots, so each is written on its own, in an order that is safe if a write in between fails: a token
 * can authenticate only once its record is complete, and stops at the first step of a revocation.
 */
import type { RedisClient } from './connection';
import { writeDurably } from './connection';
import { redisCall } from './errors';
import type { Keys } from './keys';
import { existing, readIndexed } from './indexed';
import { byCreation, sameHash, secretHash } from '../records';
import { newTokenId, newTokenSecret, type TokenRecord, type TokenStore } from '../tokens';

export class RedisTokenStore implements TokenStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly writer: RedisClient,
    private readonly keys: Keys,
    private readonly minReplicas: number,
  ) {}

  async create(input: { name: string; blogs: string[] }, now: Date) {
    const secret = newTokenSecret();
    const record: TokenRecord = { id: newTokenId(), name: input.name, blogs: [...input.blogs], createdAt: now.toISOString() };
    const hash = secretHash(secret);
    await redisCall(async () => {
      const fields = { id: record.id, name: record.name, blogs: JSON.stringify(record.blogs), createdAt: record.createdAt, hash };
      await this.write((p) => p.hset(this.keys.token(record.id), fields));
      await this.write((p) => p.sadd(this.keys.tokenIndex, record.id));
      await this.write((p) => p.set(this.keys.tokenByHash(hash), record.id));
    });
    return { record, secret };
  }

  async list(): Promise<TokenRecord[]> {
    return redisCall(async () => {
      const hashes = await readIndexed(this.redis, this.keys.tokenIndex, this.keys.token);
      return hashes.flatMap((fields) => tokenFromHash(fields) ?? []).sort(byCreation);
    });
  }

  async revoke(tokenId: string): Promise<boolean> {
    return redisCall(async () => {
      const hash = await this.redis.hget(this.keys.token(tokenId), 'hash');
      if (!hash) return false;
      await this.write((p) => p.del(this.keys.tokenByHash(hash)));
      await this.write((p) => p.del(this.keys.token(tokenId)));
      await this.write((p) => p.srem(this.keys.tokenIndex, tokenId));
      return true;
    });
  }

  async authenticate(secret: string, now: Date): Promise<TokenRecord | null> {
    const hash = secretHash(secret);
    return redisCall(async () => {
      const id = await this.redis.get(this.keys.tokenByHash(hash));
      if (!id) return null;
      const fields = await this.redis.hgetall(this.keys.token(id));
      if (!fields.hash || !sameHash(fields.hash, hash)) return null;
      // Bookkeeping, not an acknowledged write: no WAIT.
      await this.redis.hset(this.keys.token(id), 'lastUsedAt', now.toISOString());
      return tokenFromHash({ ...fields, lastUsedAt: now.toISOString() });
    });
  }

  async active(tokenIds: string[]): Promise<Set<string>> {
    return redisCall(() => existing(this.redis, tokenIds, this.keys.token));
  }

  private write(build: Parameters<typeof writeDurably>[2]): Promise<unknown[]> {
    return writeDurably(this.writer, this.minReplicas, build);
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
