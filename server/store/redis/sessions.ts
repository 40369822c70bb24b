/**
 * Sessions on Redis (see ../sessions.ts for the contract). A session is one JSON string whose
 * TTL is its idle expiry (pushed back by `touch`); a person's sessions are indexed in a ZSET, which is
 * pruned of ended ones when read. The session key and the index are in different Cluster slots:
 * the session is written before it is indexed and deleted before it is unindexed, so a session that
 * works is always one that a "sign out everywhere" finds.
 */
import type { RedisClient } from './connection';
import { writeDurably } from './connection';
import { redisCall } from './errors';
import { existing } from './indexed';
import type { Keys } from './keys';
import { byCreation, secretHash } from '../records';
import { newSessionRecord, type SessionMeta, type SessionRecord, type SessionStore } from '../sessions';

export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly writer: RedisClient,
    private readonly keys: Keys,
    private readonly minReplicas: number,
  ) {}

  async create(personId: string, meta: SessionMeta, now: Date, expiresAt: Date, ttlMs: number) {
    const created = newSessionRecord(personId, meta, now, expiresAt);
    const { record } = created;
    await redisCall(async () => {
      await this.write((p) => p.set(this.keys.session(record.hash), JSON.stringify(record), 'PX', Math.max(1, ttlMs)));
      await this.write((p) => p.zadd(this.keys.personSessions(personId), now.getTime(), record.hash));
    });
    return created;
  }

  async find(secret: string): Promise<SessionRecord | null> {
    return redisCall(async () => parse(await this.redis.get(this.keys.session(secretHash(secret)))));
  }

  async touch(hash: string, now: Date, ttlMs: number): Promise<void> {
    await redisCall(async () => {
      const key = this.keys.session(hash);
      const session = parse(await this.redis.get(key));
      if (!session) return;
      // XX: a session revoked meanwhile stays revoked. Bookkeeping, not an acknowledged write: no WAIT.
      await this.redis.set(key, JSON.stringify({ ...session, lastSeenAt: now.toISOString() }), 'PX', Math.max(1, ttlMs), 'XX');
    });
  }

  async list(personId: string): Promise<SessionRecord[]> {
    return redisCall(async () => {
      const index = this.keys.personSessions(personId);
      const hashes = await this.redis.zrange(index, 0, -1);
      const found = await Promise.all(hashes.map(async (hash) => parse(await this.redis.get(this.keys.session(hash)))));
      const gone = hashes.filter((_, i) => !found[i]);
      if (gone.length) await this.redis.zrem(index, ...gone);
      return found.filter((session): session is SessionRecord => session?.personId === personId).sort(byCreation);
    });
  }

  async revoke(hash: string): Promise<SessionRecord | null> {
    return redisCall(async () => {
      const key = this.keys.session(hash);
      const session = parse(await this.redis.get(key));
      await this.write((p) => p.del(key));
      if (session) await this.write((p) => p.zrem(this.keys.personSessions(session.personId), hash));
      return session;
    });
  }

  async revokeAll(personId: string, keepHash?: string): Promise<SessionRecord[]> {
    return redisCall(async () => {
      const index = this.keys.personSessions(personId);
      const hashes = (await this.redis.zrange(index, 0, -1)).filter((hash) => hash !== keepHash);
      if (!hashes.length) return [];
      const found = await Promise.all(hashes.map(async (hash) => parse(await this.redis.get(this.keys.session(hash)))));
      // Each session key on its own (they may be in different Cluster slots), then the index.
      await Promise.all(hashes.map((hash) => this.write((p) => p.del(this.keys.session(hash)))));
      await this.write((p) => p.zrem(index, ...hashes));
      return found.filter((session): session is SessionRecord => !!session);
    });
  }

  async active(hashes: string[]): Promise<Set<string>> {
    return redisCall(() => existing(this.redis, hashes, this.keys.session));
  }

  private write(build: Parameters<typeof writeDurably>[2]): Promise<unknown[]> {
    return writeDurably(this.writer, this.minReplicas, build);
  }
}

function parse(json: string | null): SessionRecord | null {
  return json ? (JSON.parse(json) as SessionRecord) : null;
}
