/**
 * Browsers' push subscriptions, per blog, in Redis: nothing about a reader but what their browser's
 * push service needs (the endpoint and the two keys it encrypts to).
 *
 * Keys, all in the blog's own hash slot (`{<blogId>}`):
 * - `<prefix>push:{<blogId>}:subs`: hash, subscription id → `{ endpoint, keys }` JSON. The id is a hash
 *   of the endpoint, so subscribing twice stores one entry, and jobs carry 16-character ids rather than
 *   endpoints of up to 2 KB;
 * - `<prefix>push:{<blogId>}:fanouts`: hash, update id → the generation (the outbox cursor of the event)
 *   whose fan-out holds it: one fan-out per key event at a time, released if nothing went out;
 * - `<prefix>push:{<blogId>}:sent-updates`: set of the key events a push service accepted a push of
 *   (pushed once each: a later edit, or re-key, fans out no more);
 * - `<prefix>push:{<blogId>}:sent`: how many pushes the push services accepted (the desk's figure);
 * - `<prefix>push:{<blogId>}:refusals`: hash, subscription id → refusals in a row (a 403, 400, 413…);
 *   at REFUSALS_TO_REMOVE the subscription is removed, an accepted push clears it.
 */
import { createHash } from 'node:crypto';
import type { SharedRedis } from '../../store/open';

export interface StoredSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/**
 * Adds a subscription unless the blog already holds `max`: 1 added, 0 already there, -1 full. The same
 * endpoint with other keys is a new subscription (the browser subscribed again, after a VAPID key change
 * say): the refusals counted against the old keys no longer count. KEYS: subs, refusals.
 */
const ADD_SCRIPT = `
local subs, refusals = KEYS[1], KEYS[2]
local id, value, max = ARGV[1], ARGV[2], tonumber(ARGV[3])
local stored = redis.call('HGET', subs, id)
if stored then
  if stored ~= value then
    redis.call('HSET', subs, id, value)
    redis.call('HDEL', refusals, id)
  end
  return 0
end
if redis.call('HLEN', subs) >= max then return -1 end
redis.call('HSET', subs, id, value)
return 1
`;

/**
 * A fan-out's claim on its key event: 'ok' (claimed now, or by this generation already: a fan-out run
 * again goes on), 'sent' (pushed before), 'other' (another generation's fan-out holds it).
 */
const CLAIM_SCRIPT = `
local fanouts, sent = KEYS[1], KEYS[2]
local update, generation = ARGV[1], ARGV[2]
local holder = redis.call('HGET', fanouts, update)
if holder == generation then return 'ok' end
if redis.call('SISMEMBER', sent, update) == 1 then return 'sent' end
if holder then return 'other' end
redis.call('HSET', fanouts, update, generation)
return 'ok'
`;

/** Releases a generation's claim if nothing of it went out (the update was un-keyed or deleted first). */
const RELEASE_SCRIPT = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] and redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0
`;

function parseSubscription(value: string): StoredSubscription | null {
  try {
    const parsed = JSON.parse(value) as Partial<StoredSubscription> | null;
    const { endpoint, keys } = parsed ?? {};
    if (typeof endpoint !== 'string' || typeof keys?.p256dh !== 'string' || typeof keys.auth !== 'string') return null;
    return { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } };
  } catch {
    return null;
  }
}

/**
 * Permanent refusals in a row (403, 400, 413, other 4xx) after which a subscription is removed. Not at
 * once: a 403 is what every subscription answers after a VAPID key change, but also what a mistake of
 * ours (a bad VAPID subject, a clock) would make every push service answer for a while.
 */
export const REFUSALS_TO_REMOVE = 3;

/**
 * A batch's verdicts (404/410, refusals) arrive seconds after it read its subscriptions: each applies
 * only if the stored value is still the one the batch sent to. The browser may have subscribed again
 * meanwhile (same endpoint, so the same id, with new keys): that subscription was never answered 410.
 * ARGV: id, value, id, value…
 */
const REMOVE_UNCHANGED_SCRIPT = `
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[2], ARGV[i])
    removed = removed + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return removed
`;

/** As REMOVE_UNCHANGED_SCRIPT, counting refusals; ARGV: id, value, id, value…, REFUSALS_TO_REMOVE. */
const REFUSED_SCRIPT = `
local removed = 0
for i = 1, #ARGV - 1, 2 do
  local id = ARGV[i]
  if redis.call('HGET', KEYS[1], id) == ARGV[i + 1] and redis.call('HINCRBY', KEYS[2], id, 1) >= tonumber(ARGV[#ARGV]) then
    redis.call('HDEL', KEYS[2], id)
    removed = removed + redis.call('HDEL', KEYS[1], id)
  end
end
return removed
`;

const ACCEPTED_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HDEL', KEYS[1], unpack(ARGV)) end
return 0
`;

/** The stored value: the endpoint and the keys, nothing else the body carried, in this order. */
function serialise(subscription: StoredSubscription): string {
  return JSON.stringify({ endpoint: subscription.endpoint, keys: { p256dh: subscription.keys.p256dh, auth: subscription.keys.auth } });
}

/** id, value, id, value… of the ids `sent` holds a value for. */
function valuePairs(ids: string[], sent: Map<string, string>): string[] {
  return ids.flatMap((id) => {
    const value = sent.get(id);
    return value === undefined ? [] : [id, value];
  });
}

export function subscriptionId(endpoint: string): string {
  return createHash('sha256').update(endpoint).digest('base64url').slice(0, 16);
}

export class SubscriptionStore {
  constructor(private readonly redis: SharedRedis) {}

  private key(blogId: string, name: 'subs' | 'fanouts' | 'sent-updates' | 'sent' | 'refusals'): string {
    return `${this.redis.prefix}push:{${blogId}}:${name}`;
  }

  /** 'added', 'kept' (the same endpoint again: its keys are replaced) or 'full'. */
  async add(blogId: string, subscription: StoredSubscription, max: number): Promise<'added' | 'kept' | 'full'> {
    const value = serialise(subscription);
    const keys = [this.key(blogId, 'subs'), this.key(blogId, 'refusals')];
    const result = await this.redis.writer.eval(ADD_SCRIPT, 2, ...keys, subscriptionId(subscription.endpoint), value, max);
    return result === 1 ? 'added' : result === 0 ? 'kept' : 'full';
  }

  /** Whether exactly this subscription (endpoint and keys) is stored. */
  async has(blogId: string, subscription: StoredSubscription): Promise<boolean> {
    const stored = await this.redis.client.hget(this.key(blogId, 'subs'), subscriptionId(subscription.endpoint));
    return stored === serialise(subscription);
  }

  async remove(blogId: string, endpoint: string): Promise<void> {
    await this.removeIds(blogId, [subscriptionId(endpoint)]);
  }

  async removeIds(blogId: string, ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.redis.writer.hdel(this.key(blogId, 'subs'), ...ids);
    await this.redis.writer.hdel(this.key(blogId, 'refusals'), ...ids);
  }

  /**
   * Removes each id whose stored value is still `sent` (what `get` read, and the batch sent to): a
   * re-subscription stored since is kept. Returns how many were removed.
   */
  async removeUnchanged(blogId: string, ids: string[], sent: Map<string, string>): Promise<number> {
    const pairs = valuePairs(ids, sent);
    if (!pairs.length) return 0;
    const keys = [this.key(blogId, 'subs'), this.key(blogId, 'refusals')];
    return Number(await this.redis.writer.eval(REMOVE_UNCHANGED_SCRIPT, 2, ...keys, ...pairs));
  }

  /**
   * Counts a refusal for good of each whose stored value is still `sent` (a re-subscription since is not
   * the one refused); removes those refused REFUSALS_TO_REMOVE times in a row.
   */
  async refused(blogId: string, ids: string[], sent: Map<string, string>): Promise<number> {
    const pairs = valuePairs(ids, sent);
    if (!pairs.length) return 0;
    const keys = [this.key(blogId, 'subs'), this.key(blogId, 'refusals')];
    return Number(await this.redis.writer.eval(REFUSED_SCRIPT, 2, ...keys, ...pairs, REFUSALS_TO_REMOVE));
  }

  /** An accepted push starts the refusals' count again (a write only on a blog that has refusals). */
  async accepted(blogId: string, ids: string[]): Promise<void> {
    if (ids.length) await this.redis.writer.eval(ACCEPTED_SCRIPT, 1, this.key(blogId, 'refusals'), ...ids);
  }

  count(blogId: string): Promise<number> {
    return this.redis.client.hlen(this.key(blogId, 'subs'));
  }

  /**
   * The subscriptions of `ids` still there (one removed since reads as absent), and the ids whose value
   * is not a subscription (written by hand, or by a bug): one bad entry must not fail a whole batch.
   * `values`: each id's stored value as read, for removeUnchanged and refused.
   */
  async get(
    blogId: string,
    ids: string[],
  ): Promise<{ found: Map<string, StoredSubscription>; corrupt: string[]; values: Map<string, string> }> {
    const read = ids.length ? await this.redis.client.hmget(this.key(blogId, 'subs'), ...ids) : [];
    const found = new Map<string, StoredSubscription>();
    const corrupt: string[] = [];
    const values = new Map<string, string>();
    read.forEach((value, index) => {
      if (!value) return;
      values.set(ids[index]!, value);
      const subscription = parseSubscription(value);
      if (subscription) found.set(ids[index]!, subscription);
      else corrupt.push(ids[index]!);
    });
    return { found, corrupt, values };
  }

  /** Every subscription id, `size` at a time (HSCAN: one subscribed meanwhile may be missed, none is lost). */
  async *ids(blogId: string, size: number): AsyncGenerator<string[]> {
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, entries] = await this.redis.client.hscan(this.key(blogId, 'subs'), cursor, 'COUNT', size);
      cursor = next;
      const page: string[] = [];
      // HSCAN returns field, value, field, value…; a rehash meanwhile may return a field twice.
      for (let i = 0; i < entries.length; i += 2) {
        const id = entries[i]!;
        if (!seen.has(id)) page.push(id);
        seen.add(id);
      }
      if (page.length) yield page;
    } while (cursor !== '0');
  }

  /** A fan-out (`generation`: its event's cursor) claims its key event; see CLAIM_SCRIPT. */
  async claim(blogId: string, updateId: string, generation: string): Promise<'ok' | 'sent' | 'other'> {
    const keys = [this.key(blogId, 'fanouts'), this.key(blogId, 'sent-updates')];
    return (await this.redis.writer.eval(CLAIM_SCRIPT, 2, ...keys, updateId, generation)) as 'ok' | 'sent' | 'other';
  }

  /** Whether `generation`'s fan-out still holds the key event (a later one may have taken over). */
  async holds(blogId: string, updateId: string, generation: string): Promise<boolean> {
    return (await this.redis.writer.hget(this.key(blogId, 'fanouts'), updateId)) === generation;
  }

  /** Lets a later edit into a key event fan out again, if nothing of this generation went out. */
  async release(blogId: string, updateId: string, generation: string): Promise<void> {
    await this.redis.writer.eval(RELEASE_SCRIPT, 2, this.key(blogId, 'fanouts'), this.key(blogId, 'sent-updates'), updateId, generation);
  }

  /** A push of this key event was accepted: it is never fanned out again. */
  async markSent(blogId: string, updateId: string): Promise<void> {
    await this.redis.writer.sadd(this.key(blogId, 'sent-updates'), updateId);
  }

  async addPushesSent(blogId: string, count: number): Promise<void> {
    if (count > 0) await this.redis.writer.incrby(this.key(blogId, 'sent'), count);
  }

  async pushesSent(blogId: string): Promise<number> {
    return Number((await this.redis.client.get(this.key(blogId, 'sent'))) ?? 0);
  }
}
