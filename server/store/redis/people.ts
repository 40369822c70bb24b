/**
 * People on Redis (see ../people.ts for the contract). A person's keys live in different Cluster slots,
 * so each is written on its own, in an order that is safe if a write in between fails: the email is
 * claimed first (SET NX: two invitations of one address cannot both win), the record last; a removal
 * undoes it the other way round. A link is one hash, marked used by one small script, so only one
 * request ever consumes it.
 */
import type { RedisClient } from './connection';
import { writeDurably } from './connection';
import { redisCall } from './errors';
import type { Keys } from './keys';
import { readHashes } from './timeline';
import {
  byCreation,
  LINK_MEMORY_MS,
  newLinkSecret,
  newPersonId,
  stateOf,
  type LinkKind,
  type LinkState,
  type NewPerson,
  type PeopleStore,
  type PersonPatch,
  type PersonRecord,
} from '../people';
import { secretHash } from '../tokens';

// KEYS[1] the link; ARGV[1] usedAt. Marks the link used unless it is unknown or already used; returns its
// fields as they were (the caller judges expiry with its own clock).
const USE_LINK = `
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return fields end
if redis.call('HEXISTS', KEYS[1], 'usedAt') == 0 then redis.call('HSET', KEYS[1], 'usedAt', ARGV[1]) end
return fields
`;

export class RedisPeopleStore implements PeopleStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly writer: RedisClient,
    private readonly keys: Keys,
    private readonly minReplicas: number,
  ) {}

  async create(input: NewPerson, now: Date): Promise<PersonRecord | null> {
    const person: PersonRecord = { id: newPersonId(), ...input, blogs: [...input.blogs], disabled: false, createdAt: now.toISOString() };
    return redisCall(async () => {
      const [claimed] = await this.write((p) => p.set(this.keys.personByEmail(person.email), person.id, 'NX'));
      if (claimed !== 'OK') return null;
      await this.write((p) => p.hset(this.keys.person(person.id), toHash(person)));
      await this.write((p) => p.sadd(this.keys.people, person.id));
      return person;
    });
  }

  async get(personId: string): Promise<PersonRecord | null> {
    return redisCall(async () => fromHash(await this.redis.hgetall(this.keys.person(personId))));
  }

  async findByEmail(email: string): Promise<PersonRecord | null> {
    return redisCall(async () => {
      const id = await this.redis.get(this.keys.personByEmail(email.toLowerCase()));
      return id ? fromHash(await this.redis.hgetall(this.keys.person(id))) : null;
    });
  }

  async list(): Promise<PersonRecord[]> {
    return redisCall(async () => {
      const ids = await this.redis.smembers(this.keys.people);
      const hashes = await readHashes(
        this.redis,
        ids.map((id) => this.keys.person(id)),
      );
      return hashes.flatMap((fields) => fromHash(fields) ?? []).sort(byCreation);
    });
  }

  async update(personId: string, patch: PersonPatch): Promise<PersonRecord | null> {
    return redisCall(async () => {
      const key = this.keys.person(personId);
      const current = fromHash(await this.redis.hgetall(key));
      if (!current) return null;
      const next: PersonRecord = { ...current, ...patch };
      // Only the fields patched: a sign-in's bookkeeping and an admin's change never undo each other.
      const all = toHash(next);
      const fields = Object.fromEntries(Object.keys(patch).flatMap((name) => (name in all ? [[name, all[name]]] : [])));
      if (Object.keys(fields).length) await this.write((p) => p.hset(key, fields));
      return next;
    });
  }

  async remove(personId: string): Promise<PersonRecord | null> {
    return redisCall(async () => {
      const key = this.keys.person(personId);
      const fields = await this.redis.hgetall(key);
      const person = fromHash(fields);
      if (!person) return null;
      // The record first: from then on the person cannot sign in, whatever fails after.
      await this.write((p) => p.del(key));
      await this.write((p) => p.srem(this.keys.people, personId));
      if (fields.inviteHash) await this.write((p) => p.del(this.keys.invite(fields.inviteHash)));
      await this.write((p) => p.del(this.keys.personByEmail(person.email)));
      return person;
    });
  }

  async invite(personId: string, now: Date, ttlMs: number): Promise<string> {
    const secret = newLinkSecret();
    const hash = secretHash(secret);
    await redisCall(async () => {
      const previous = await this.redis.hget(this.keys.person(personId), 'inviteHash');
      await this.writeLink(this.keys.invite(hash), { personId }, now, ttlMs);
      await this.write((p) => p.hset(this.keys.person(personId), 'inviteHash', hash));
      if (previous) await this.write((p) => p.del(this.keys.invite(previous)));
    });
    return secret;
  }

  async createSetupLink(now: Date, ttlMs: number): Promise<string> {
    const secret = newLinkSecret();
    await redisCall(() => this.writeLink(this.keys.setupLink(secretHash(secret)), {}, now, ttlMs));
    return secret;
  }

  async linkState(kind: LinkKind, secret: string, now: Date): Promise<LinkState> {
    return redisCall(async () => stateOf(linkFromHash(await this.redis.hgetall(this.linkKey(kind, secret))), now));
  }

  async useLink(kind: LinkKind, secret: string, now: Date): Promise<LinkState> {
    return redisCall(async () => {
      const key = this.linkKey(kind, secret);
      // Expiry is judged before the mark: an expired link is left as it is (and says "expired").
      const before = stateOf(linkFromHash(await this.redis.hgetall(key)), now);
      if (before.state !== 'valid') return before;
      const [flat] = (await this.write((p) => p.eval(USE_LINK, 1, key, now.toISOString()))) as [string[]];
      const fields: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
      return stateOf(linkFromHash(fields), now);
    });
  }

  private linkKey(kind: LinkKind, secret: string): string {
    const hash = secretHash(secret);
    return kind === 'invite' ? this.keys.invite(hash) : this.keys.setupLink(hash);
  }

  private async writeLink(key: string, fields: { personId?: string }, now: Date, ttlMs: number): Promise<void> {
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    await this.write((p) => p.hset(key, { ...fields, expiresAt }).pexpire(key, Math.max(1, ttlMs) + LINK_MEMORY_MS));
  }

  private write(build: Parameters<typeof writeDurably>[2]): Promise<unknown[]> {
    return writeDurably(this.writer, this.minReplicas, build);
  }
}

function linkFromHash(fields: Record<string, string>): { personId?: string; expiresAt: string; usedAt?: string } | null {
  if (!fields.expiresAt) return null;
  return {
    expiresAt: fields.expiresAt,
    ...(fields.personId ? { personId: fields.personId } : {}),
    ...(fields.usedAt ? { usedAt: fields.usedAt } : {}),
  };
}

function toHash(person: PersonRecord): Record<string, string> {
  const fields: Record<string, string> = {
    id: person.id,
    email: person.email,
    name: person.name,
    role: person.role,
    blogs: JSON.stringify(person.blogs),
    disabled: person.disabled ? '1' : '0',
    createdAt: person.createdAt,
  };
  if (person.activatedAt) fields.activatedAt = person.activatedAt;
  if (person.lastSignInAt) fields.lastSignInAt = person.lastSignInAt;
  if (person.passwordHash) fields.passwordHash = person.passwordHash;
  return fields;
}

function fromHash(fields: Record<string, string>): PersonRecord | null {
  if (!fields.id || !fields.email) return null;
  return {
    id: fields.id,
    email: fields.email,
    name: fields.name,
    role: fields.role as PersonRecord['role'],
    blogs: JSON.parse(fields.blogs) as string[],
    disabled: fields.disabled === '1',
    createdAt: fields.createdAt,
    ...(fields.activatedAt ? { activatedAt: fields.activatedAt } : {}),
    ...(fields.lastSignInAt ? { lastSignInAt: fields.lastSignInAt } : {}),
    ...(fields.passwordHash ? { passwordHash: fields.passwordHash } : {}),
  };
}
