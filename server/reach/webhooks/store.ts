/**
 * Webhook endpoints and their delivery logs, on Redis.
 *
 * Keys (under the deployment's prefix):
 * - `webhooks`: the SET of endpoint ids;
 * - `webhook:{<id>}`: the endpoint's HASH (its secret included: never listed);
 * - `webhook:{<id>}:deliveries`: HASH delivery id → the delivery's JSON;
 * - `webhook:{<id>}:order`: ZSET of delivery ids by creation time, trimmed to DELIVERIES_KEPT;
 * - `webhook:{<id>}:failing`: SET of the delivery ids whose last attempt failed and that wait for a retry.
 * An endpoint's keys share its Cluster slot (the braces), so each change to them is one script that first
 * checks the endpoint still exists: a delivery finishing after its endpoint was removed writes nothing back.
 * The SET lives in another slot and is written on its own step (a removed id with no hash is not listed).
 */
import { randomBytes } from 'node:crypto';
import type { Webhook, WebhookDelivery } from '../../../shared/schemas';
import type { SharedRedis } from '../../store/open';
import { writeDurably } from '../../store/redis/connection';
import { redisCall } from '../../store/redis/errors';

/** Deliveries each endpoint's log keeps (the newest). */
export const DELIVERIES_KEPT = 100;

/** An endpoint as stored: what is listed, and its secret. */
export interface EndpointRecord extends Webhook {
  secret: string;
}

/** An endpoint id as the store makes them: `wh` and 16 hex digits. */
export const ENDPOINT_ID_PATTERN = /^wh[0-9a-f]{16}$/;

export function newEndpointId(): string {
  return 'wh' + randomBytes(8).toString('hex');
}

// Each script: KEYS[1] the endpoint's hash; returns 0 (nothing written) when the endpoint is gone.

// A delivery is logged once (a re-offered event finds it there), and the log keeps the newest only.
// KEYS[2] deliveries hash, KEYS[3] order zset; ARGV: delivery id, its JSON, created-at ms, how many kept.
const ADD_DELIVERY = `
local endpointKey, deliveriesKey, orderKey = KEYS[1], KEYS[2], KEYS[3]
local id, json, createdMs, kept = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('EXISTS', endpointKey) == 0 then return 0 end
if redis.call('HSETNX', deliveriesKey, id, json) == 0 then return 0 end
redis.call('ZADD', orderKey, createdMs, id)
local extra = redis.call('ZCARD', orderKey) - kept
if extra > 0 then
  local old = redis.call('ZRANGE', orderKey, 0, extra - 1)
  redis.call('ZREMRANGEBYRANK', orderKey, 0, extra - 1)
  redis.call('HDEL', deliveriesKey, unpack(old))
end
return 1
`;

// Replaces a delivery still in the log (one trimmed away stays away). ARGV: delivery id, its JSON.
const SET_DELIVERY = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
`;

// A failed attempt that will be retried: its delivery is failing, and failingSince is set if unset (the
// first failure since the endpoint last had none); returns it. KEYS[2] the failing set; ARGV: at, delivery id.
const MARK_FAILING = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('HSETNX', KEYS[1], 'failingSince', ARGV[1])
return redis.call('HGET', KEYS[1], 'failingSince')
`;

// A delivery ended (ARGV: its id, '1' if delivered). A success clears failingSince; any other end clears it
// when no delivery is failing any more, so an old failure whose retry was skipped or stopped cannot count
// towards a later day of failures.
const SETTLE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SREM', KEYS[2], ARGV[1])
if ARGV[2] == '1' or redis.call('SCARD', KEYS[2]) == 0 then redis.call('HDEL', KEYS[1], 'failingSince') end
return 1
`;

// Adds an endpoint id to the SET (KEYS[1]) if it holds fewer than ARGV[2]; returns 1 if it did.
const ADD_IF_ROOM = `
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
`;

// Turns an endpoint off (ARGV: at, reason), if it is on; returns 1 if it did.
const DISABLE = `
if redis.call('HGET', KEYS[1], 'enabled') ~= '1' then return 0 end
redis.call('HSET', KEYS[1], 'enabled', '0', 'disabledAt', ARGV[1], 'disabledReason', ARGV[2])
return 1
`;

// Turns an endpoint on, its failures forgotten (KEYS[2] the failing set).
const ENABLE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'enabled', '1')
redis.call('HDEL', KEYS[1], 'disabledAt', 'disabledReason', 'failingSince')
redis.call('DEL', KEYS[2])
return 1
`;

export class WebhookStore {
  constructor(private readonly redis: SharedRedis) {}

  private get index(): string {
    return `${this.redis.prefix}webhooks`;
  }
  private endpointKey(id: string): string {
    return `${this.redis.prefix}webhook:{${id}}`;
  }
  private deliveryKeys(id: string): [string, string, string] {
    const key = this.endpointKey(id);
    return [key, `${key}:deliveries`, `${key}:order`];
  }
  /** The endpoint's hash and its set of failing deliveries. */
  private failingKeys(id: string): [string, string] {
    const key = this.endpointKey(id);
    return [key, `${key}:failing`];
  }

  private write(build: Parameters<typeof writeDurably>[2]): Promise<unknown[]> {
    return writeDurably(this.redis.writer, this.redis.minReplicas, build);
  }

  private async script(lua: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    const [result] = await this.write((p) => p.eval(lua, keys.length, ...keys, ...args));
    return result;
  }

  /** Stores a new endpoint if there are fewer than `max`; false (nothing stored) if there are not. */
  async create(record: EndpointRecord, max: number): Promise<boolean> {
    const fields: Record<string, string> = {
      id: record.id,
      url: record.url,
      events: JSON.stringify(record.events),
      blogs: JSON.stringify(record.blogs),
      createdAt: record.createdAt,
      secret: record.secret,
      enabled: record.enabled ? '1' : '0',
      ...(record.description ? { description: record.description } : {}),
    };
    return redisCall(async () => {
      // The place is taken first, atomically (concurrent POSTs cannot pass the cap), then the hash written;
      // an id in the SET without its hash is not listed, and is given back if the hash cannot be written.
      const [added] = (await this.write((p) => p.eval(ADD_IF_ROOM, 1, this.index, record.id, max))) as [number];
      if (added !== 1) return false;
      try {
        await this.write((p) => p.hset(this.endpointKey(record.id), fields));
      } catch (error) {
        await this.redis.writer.srem(this.index, record.id).catch(() => {});
        throw error;
      }
      return true;
    });
  }

  /** The endpoint with its secret, or null. */
  get(id: string): Promise<EndpointRecord | null> {
    return redisCall(async () => endpointFromHash(await this.redis.client.hgetall(this.endpointKey(id))));
  }

  /** Every endpoint (with secrets: the routes strip them), oldest first. */
  list(): Promise<EndpointRecord[]> {
    return redisCall(async () => {
      const ids = await this.redis.client.smembers(this.index);
      const hashes = await Promise.all(ids.map((id) => this.redis.client.hgetall(this.endpointKey(id))));
      return hashes
        .flatMap((fields) => endpointFromHash(fields) ?? [])
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    });
  }

  /** Removes the endpoint and its log; false if there was none. */
  async remove(id: string): Promise<boolean> {
    return redisCall(async () => {
      const [removed] = (await this.write((p) => p.del(...this.deliveryKeys(id), this.failingKeys(id)[1]))) as [number];
      await this.write((p) => p.srem(this.index, id));
      return removed > 0;
    });
  }

  async enable(id: string): Promise<boolean> {
    return redisCall(async () => (await this.script(ENABLE, this.failingKeys(id), [])) === 1);
  }

  /** Turns it off with a reason; false if it was off already (or gone). */
  async disable(id: string, at: Date, reason: string): Promise<boolean> {
    return redisCall(async () => (await this.script(DISABLE, [this.endpointKey(id)], [at.toISOString(), reason])) === 1);
  }

  /** A failed attempt of this delivery, to be retried: when the endpoint's failures began (null if it is gone). */
  async failing(id: string, deliveryId: string, now: Date): Promise<Date | null> {
    return redisCall(async () => {
      const since = (await this.script(MARK_FAILING, this.failingKeys(id), [now.toISOString(), deliveryId])) as string | null;
      return since ? new Date(since) : null;
    });
  }

  /**
   * This delivery ended: delivered (the endpoint is no longer failing), or otherwise (skipped, stopped,
   * failed for good: the endpoint is no longer failing if no other delivery is).
   */
  async settled(id: string, deliveryId: string, delivered: boolean): Promise<void> {
    await redisCall(() => this.script(SETTLE, this.failingKeys(id), [deliveryId, delivered ? '1' : '0']));
  }

  /** Logs a new delivery (once per id); false if it was logged already, or the endpoint is gone. */
  async addDelivery(endpointId: string, delivery: WebhookDelivery): Promise<boolean> {
    return redisCall(async () => (await this.script(ADD_DELIVERY, this.deliveryKeys(endpointId), deliveryArgs(delivery))) === 1);
  }

  /**
   * Several at once (an event batch): one pipeline per endpoint, sent together. A pipeline must stay in
   * one slot on a Redis Cluster, and each endpoint's keys have a slot of their own.
   */
  async addDeliveries(entries: { endpointId: string; delivery: WebhookDelivery }[]): Promise<void> {
    const byEndpoint = new Map<string, WebhookDelivery[]>();
    for (const { endpointId, delivery } of entries) byEndpoint.set(endpointId, [...(byEndpoint.get(endpointId) ?? []), delivery]);
    await redisCall(() =>
      Promise.all(
        [...byEndpoint].map(([endpointId, deliveries]) =>
          this.write((p) => {
            const keys = this.deliveryKeys(endpointId);
            for (const delivery of deliveries) p.eval(ADD_DELIVERY, keys.length, ...keys, ...deliveryArgs(delivery));
          }),
        ),
      ),
    );
  }

  async getDelivery(endpointId: string, deliveryId: string): Promise<WebhookDelivery | null> {
    return redisCall(async () => {
      const json = await this.redis.client.hget(this.deliveryKeys(endpointId)[1], deliveryId);
      return json ? (JSON.parse(json) as WebhookDelivery) : null;
    });
  }

  /** Changes a logged delivery (read, merged, written: one job at a time works on a delivery). */
  async updateDelivery(endpointId: string, deliveryId: string, change: Partial<WebhookDelivery>): Promise<WebhookDelivery | null> {
    const current = await this.getDelivery(endpointId, deliveryId);
    if (!current) return null;
    const next: WebhookDelivery = { ...current, ...change };
    for (const key of Object.keys(next) as (keyof WebhookDelivery)[]) if (next[key] === undefined) delete next[key];
    const done = await redisCall(
      async () => (await this.script(SET_DELIVERY, this.deliveryKeys(endpointId), [deliveryId, JSON.stringify(next)])) === 1,
    );
    return done ? next : null;
  }

  /** The log, newest first. */
  deliveries(endpointId: string): Promise<WebhookDelivery[]> {
    const [, deliveriesKey, orderKey] = this.deliveryKeys(endpointId);
    return redisCall(async () => {
      const ids = await this.redis.client.zrevrange(orderKey, 0, DELIVERIES_KEPT - 1);
      if (!ids.length) return [];
      const values = await this.redis.client.hmget(deliveriesKey, ...ids);
      return values.flatMap((json) => (json ? [JSON.parse(json) as WebhookDelivery] : []));
    });
  }
}

function endpointFromHash(fields: Record<string, string>): EndpointRecord | null {
  if (!fields.id || !fields.secret) return null;
  return {
    id: fields.id,
    url: fields.url,
    events: JSON.parse(fields.events) as string[],
    blogs: JSON.parse(fields.blogs) as string[],
    ...(fields.description ? { description: fields.description } : {}),
    createdAt: fields.createdAt,
    enabled: fields.enabled === '1',
    ...(fields.disabledAt ? { disabled: { at: fields.disabledAt, reason: fields.disabledReason ?? '' } } : {}),
    ...(fields.failingSince ? { failingSince: fields.failingSince } : {}),
    secret: fields.secret,
  };
}

/** What may be shown: never the secret. */
export function publicView(record: EndpointRecord): Webhook {
  const { secret, ...shown } = record;
  void secret;
  return shown;
}

/** ADD_DELIVERY's arguments: the delivery's id, its JSON, when it was made (its order), how many are kept. */
function deliveryArgs(delivery: WebhookDelivery): (string | number)[] {
  return [delivery.id, JSON.stringify(delivery), Date.parse(delivery.createdAt), DELIVERIES_KEPT];
}
