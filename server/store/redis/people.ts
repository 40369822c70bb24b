/**
 * People on Redis (see ../people.ts for the contract). Every key of people and links, and the service's
 * audit trail, carries the hash tag `{svc}` (keys.ts): one Cluster slot, so each change is one script with
 * its audit entry, atomic on a Cluster too. Each script checks first and appends the entry before it
 * writes anything else: a script stops at its first error, so an entry that cannot be written leaves
 * no change behind. A link is one hash, marked used by one small script, so only one request ever
 * consumes it.
 */
import type { RedisClient } from './connection';
import { writeDurably } from './connection';
import { auditEntryJson } from './audit';
import { redisCall } from './errors';
import { readIndexed } from './indexed';
import type { Keys } from './keys';
import {
  activates,
  LINK_MEMORY_MS,
  newPersonId,
  stateOf,
  type AuditOf,
  type LinkKind,
  type LinkState,
  type NewPerson,
  type PeopleStore,
  type PersonPatch,
  type PersonRecord,
} from '../people';
import { byCreation, newSecret, secretHash } from '../records';

// KEYS[1] the link; ARGV[1] usedAt. Marks the link used unless it is unknown or already used; returns its
// fields as they were (the caller judges expiry with its own clock).
const USE_LINK = `
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return fields end
if redis.call('HEXISTS', KEYS[1], 'usedAt') == 0 then redis.call('HSET', KEYS[1], 'usedAt', ARGV[1]) end
return fields
`;

// KEYS: the invitation, its person. ARGV: usedAt (also activatedAt if none yet), the password hash.
// Checks first, then writes the person before the link: an invitation is never used up without its
// password. 'unknown' (no such link, or its person is gone), 'used', or 'valid' (now used, password set).
const ACCEPT_INVITE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
if redis.call('HEXISTS', KEYS[1], 'usedAt') == 1 then return 'used' end
if redis.call('EXISTS', KEYS[2]) == 0 then return 'unknown' end
redis.call('HSET', KEYS[2], 'passwordHash', ARGV[2])
redis.call('HSETNX', KEYS[2], 'activatedAt', ARGV[1])
redis.call('HSET', KEYS[1], 'usedAt', ARGV[1])
return 'valid'
`;

// KEYS: the newest-setup pointer, the new setup link, [the previous one, as the caller read the pointer].
// ARGV: the new one's hash, expiresAt, how long to keep it (ms), the previous hash ('' for none). 0 when
// the pointer moved meanwhile (another start): the caller reads it again. Only the newest link works.
const NEW_SETUP_LINK = `
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[4] then return 0 end
if KEYS[3] then redis.call('DEL', KEYS[3]) end
redis.call('HSET', KEYS[2], 'expiresAt', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
`;

// KEYS: email, person, people, audit. ARGV: id, audit entry ('' for none), then the record's fields.
// 0 when the email is taken.
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if ARGV[2] ~= '' then redis.call('XADD', KEYS[4], '*', 'a', ARGV[2]) end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
redis.call('SADD', KEYS[3], ARGV[1])
return 1
`;

// KEYS: person, audit, [their invitation, to end]. ARGV: audit entry, usedAt for the invitation ('' for
// none), then the fields to set. 0 when the person is gone: a late change never brings them back.
const UPDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] ~= '' then redis.call('XADD', KEYS[2], '*', 'a', ARGV[1]) end
if #ARGV > 2 then redis.call('HSET', KEYS[1], unpack(ARGV, 3)) end
if KEYS[3] and ARGV[2] ~= '' and redis.call('EXISTS', KEYS[3]) == 1 and redis.call('HEXISTS', KEYS[3], 'usedAt') == 0 then
  redis.call('HSET', KEYS[3], 'usedAt', ARGV[2])
end
return 1
`;

// KEYS: person, people, email, audit, [their invitation]. ARGV: id, audit entry.
const REMOVE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] ~= '' then redis.call('XADD', KEYS[4], '*', 'a', ARGV[2]) end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
if KEYS[5] then redis.call('DEL', KEYS[5]) end
return 1
`;

// KEYS: person, the new invitation, audit, [the previous invitation]. ARGV: audit entry, the new one's
// hash, person id, expiresAt, how long to keep it (ms).
const INVITE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] ~= '' then redis.call('XADD', KEYS[3], '*', 'a', ARGV[1]) end
redis.call('HSET', KEYS[2], 'personId', ARGV[3], 'expiresAt', ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('HSET', KEYS[1], 'inviteHash', ARGV[2])
if KEYS[4] then redis.call('DEL', KEYS[4]) end
return 1
`;

export class RedisPeopleStore implements PeopleStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly writer: RedisClient,
    private readonly keys: Keys,
    private readonly minReplicas: number,
  ) {}

  async create(input: NewPerson, now: Date, audit?: AuditOf): Promise<PersonRecord | null> {
    const person: PersonRecord = { id: newPersonId(), ...input, blogs: [...input.blogs], disabled: false, createdAt: now.toISOString() };
    return redisCall(async () => {
      const keys = [this.keys.personByEmail(person.email), this.keys.person(person.id), this.keys.people, this.keys.serviceAudit];
      const args = [person.id, entryOf(audit, person), ...Object.entries(toHash(person)).flat()];
      const [created] = await this.write((p) => p.eval(CREATE, keys.length, ...keys, ...args));
      return created === 1 ? person : null;
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
      const hashes = await readIndexed(this.redis, this.keys.people, this.keys.person);
      return hashes.flatMap((fields) => fromHash(fields) ?? []).sort(byCreation);
    });
  }

  async update(personId: string, patch: PersonPatch, audit?: AuditOf): Promise<PersonRecord | null> {
    return redisCall(async () => {
      const key = this.keys.person(personId);
      const stored = await this.redis.hgetall(key);
      const current = fromHash(stored);
      if (!current) return null;
      const next: PersonRecord = { ...current, ...patch };
      // Only the fields patched: a sign-in's bookkeeping and an admin's change never undo each other.
      const all = toHash(next);
      const fields = Object.keys(patch).flatMap((name) => (name in all ? [name, all[name]] : []));
      const invite = activates(patch) && stored.inviteHash ? [this.keys.invite(stored.inviteHash)] : [];
      const keys = [key, this.keys.serviceAudit, ...invite];
      const usedAt = invite.length ? (patch.activatedAt ?? new Date().toISOString()) : '';
      const [updated] = await this.write((p) => p.eval(UPDATE, keys.length, ...keys, entryOf(audit, next), usedAt, ...fields));
      return updated === 1 ? next : null;
    });
  }

  async remove(personId: string, audit?: AuditOf): Promise<PersonRecord | null> {
    return redisCall(async () => {
      const key = this.keys.person(personId);
      const fields = await this.redis.hgetall(key);
      const person = fromHash(fields);
      if (!person) return null;
      const keys = [
        key,
        this.keys.people,
        this.keys.personByEmail(person.email),
        this.keys.serviceAudit,
        ...(fields.inviteHash ? [this.keys.invite(fields.inviteHash)] : []),
      ];
      const [removed] = await this.write((p) => p.eval(REMOVE, keys.length, ...keys, personId, entryOf(audit, person)));
      return removed === 1 ? person : null;
    });
  }

  async invite(personId: string, now: Date, ttlMs: number, audit?: AuditOf): Promise<string | null> {
    const secret = newSecret();
    const hash = secretHash(secret);
    return redisCall(async () => {
      const fields = await this.redis.hgetall(this.keys.person(personId));
      const person = fromHash(fields);
      if (!person) return null;
      const keys = [
        this.keys.person(personId),
        this.keys.invite(hash),
        this.keys.serviceAudit,
        ...(fields.inviteHash ? [this.keys.invite(fields.inviteHash)] : []),
      ];
      const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
      const args = [entryOf(audit, person), hash, personId, expiresAt, Math.max(1, ttlMs) + LINK_MEMORY_MS];
      const [invited] = await this.write((p) => p.eval(INVITE, keys.length, ...keys, ...args));
      return invited === 1 ? secret : null;
    });
  }

  async createSetupLink(now: Date, ttlMs: number): Promise<string> {
    const secret = newSecret();
    const hash = secretHash(secret);
    // The pointer to the newest link lives beside the links (same `{svc}` slot, a name no hash can have).
    const pointer = this.keys.setupLink('current');
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    const keep = Math.max(1, ttlMs) + LINK_MEMORY_MS;
    await redisCall(async () => {
      for (;;) {
        const previous = (await this.writer.get(pointer)) ?? ''; // the primary: a replica's stale copy would only loop
        const keys = [pointer, this.keys.setupLink(hash), ...(previous ? [this.keys.setupLink(previous)] : [])];
        const [made] = await this.write((p) => p.eval(NEW_SETUP_LINK, keys.length, ...keys, hash, expiresAt, keep, previous));
        if (made === 1) return;
      }
    });
    return secret;
  }

  async acceptInvite(secret: string, passwordHash: string, now: Date): Promise<{ link: LinkState; person: PersonRecord | null }> {
    return redisCall(async () => {
      const key = this.keys.invite(secretHash(secret));
      // Expiry is judged before, with the caller's clock: an expired link is left as it is.
      const before = stateOf(linkFromHash(await this.redis.hgetall(key)), now);
      if (before.state !== 'valid' || !before.personId)
        return { link: before.state === 'valid' ? { state: 'unknown' } : before, person: null };
      const personKey = this.keys.person(before.personId);
      const [answer] = (await this.write((p) => p.eval(ACCEPT_INVITE, 2, key, personKey, now.toISOString(), passwordHash))) as [string];
      if (answer !== 'valid') return { link: { state: answer as 'used' | 'unknown' }, person: null };
      return { link: before, person: fromHash(await this.redis.hgetall(personKey)) };
    });
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

  private write(build: Parameters<typeof writeDurably>[2]): Promise<unknown[]> {
    return writeDurably(this.writer, this.minReplicas, build);
  }
}

/** The entry's JSON for a script, or '' for a change without one. */
function entryOf(audit: AuditOf | undefined, person: PersonRecord): string {
  return audit ? auditEntryJson(audit(person)) : '';
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
