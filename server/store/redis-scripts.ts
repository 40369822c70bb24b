/**
 * The Lua scripts that make each write atomic: the state change and its event land together or not
 * at all, and the event's seq is drawn inside the same script, so the log is gapless and in order.
 * Errors come back as `LB_<KIND>` replies, turned into TimelineErrors by the Redis store.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

// Appends one event: seq is the blog's counter, the stream id is `<seq>-0`, history is capped.
const APPEND_EVENT = `
local function appendEvent(blogKey, eventsKey, eventJson, maxLen)
  local seq = redis.call('HINCRBY', blogKey, 'seq', 1)
  redis.call('XADD', eventsKey, 'MAXLEN', maxLen, seq .. '-0', 'e', eventJson)
  return seq
end
`;

export class LuaScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** EVALSHA, falling back to EVAL once when Redis does not have the script (a restart empties its cache). */
  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return redis.eval(this.lua, keys.length, ...keys, ...args);
      }
      throw error;
    }
  }
}

/** KEYS blog, blogIndex. ARGV id, title, description ('' for none), createdAt, epoch, createdMs. */
export const CREATE_BLOG = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('LB_CONFLICT') end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'title', ARGV[2], 'status', 'live', 'createdAt', ARGV[4],
  'updatedAt', ARGV[4], 'epoch', ARGV[5], 'seq', 0, 'rev', 0)
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'description', ARGV[3]) end
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
return 'OK'
`);

/**
 * KEYS blog, events. ARGV expectedRev, title, description ('' to remove), status, updatedAt, eventJson, maxLen.
 * Returns { epoch, seq }, or LB_STALE when the blog was edited since it was read.
 */
export const UPDATE_BLOG = new LuaScript(`${APPEND_EVENT}
local current = redis.call('HMGET', KEYS[1], 'rev', 'epoch')
if not current[1] then return redis.error_reply('LB_BLOG_NOT_FOUND') end
if current[1] ~= ARGV[1] then return redis.error_reply('LB_STALE') end
redis.call('HSET', KEYS[1], 'title', ARGV[2], 'status', ARGV[4], 'updatedAt', ARGV[5])
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], 'description')
else redis.call('HSET', KEYS[1], 'description', ARGV[3]) end
redis.call('HINCRBY', KEYS[1], 'rev', 1)
return { current[2], appendEvent(KEYS[1], KEYS[2], ARGV[6], ARGV[7]) }
`);

/**
 * KEYS blog, updates, order, events, idempotency (any key when unused), keyEvents.
 * ARGV id, updateJson, orderKey, eventJson, maxLen, idempotencyTtl, useIdempotency ('1' or '0'), pinned ('1' or '0'),
 * keyEvent ('1' or '0').
 * Returns { 'created', epoch, seq, previouslyPinnedId or '' } or { 'replayed', firstUpdateJson }.
 */
export const CREATE_UPDATE = new LuaScript(`${APPEND_EVENT}
local blog = redis.call('HMGET', KEYS[1], 'epoch', 'status', 'pinnedId')
if not blog[1] then return redis.error_reply('LB_BLOG_NOT_FOUND') end
if ARGV[7] == '1' then
  local first = redis.call('GET', KEYS[5])
  if first then return { 'replayed', first } end
end
if blog[2] == 'ended' then return redis.error_reply('LB_BLOG_ENDED') end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return redis.error_reply('LB_CONFLICT') end
redis.call('ZADD', KEYS[3], 0, ARGV[3])
if ARGV[9] == '1' then redis.call('ZADD', KEYS[6], 0, ARGV[3]) end
local previous = ''
if ARGV[8] == '1' then
  previous = blog[3] or ''
  redis.call('HSET', KEYS[1], 'pinnedId', ARGV[1])
end
local seq = appendEvent(KEYS[1], KEYS[4], ARGV[4], ARGV[5])
if ARGV[7] == '1' then redis.call('SET', KEYS[5], ARGV[2], 'EX', ARGV[6]) end
return { 'created', blog[1], seq, previous }
`);

/**
 * KEYS blog, updates, order, events, versions, keyEvents.
 * ARGV id, expectedVersion, newJson ('' deletes), oldOrderKey, newOrderKey, eventJson, maxLen, pinned ('1' or '0'),
 * keyEvent ('1' or '0').
 * The replaced state is kept in `versions`; a deleted update takes its versions with it.
 * Returns { epoch, seq, previouslyPinnedId or '' }, or LB_STALE when the update changed since it was read.
 */
export const CHANGE_UPDATE = new LuaScript(`${APPEND_EVENT}
local blog = redis.call('HMGET', KEYS[1], 'epoch', 'pinnedId')
if not blog[1] then return redis.error_reply('LB_BLOG_NOT_FOUND') end
local current = redis.call('HGET', KEYS[2], ARGV[1])
if not current then return redis.error_reply('LB_UPDATE_NOT_FOUND') end
if cjson.decode(current).version ~= tonumber(ARGV[2]) then return redis.error_reply('LB_STALE') end
local pinnedId = blog[2] or ''
local previous = ''
redis.call('ZREM', KEYS[3], ARGV[4])
redis.call('ZREM', KEYS[6], ARGV[4])
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('DEL', KEYS[5])
  if pinnedId == ARGV[1] then redis.call('HDEL', KEYS[1], 'pinnedId') end
else
  redis.call('RPUSH', KEYS[5], current)
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
  redis.call('ZADD', KEYS[3], 0, ARGV[5])
  if ARGV[9] == '1' then redis.call('ZADD', KEYS[6], 0, ARGV[5]) end
  if ARGV[8] == '1' then
    if pinnedId ~= ARGV[1] then previous = pinnedId end
    redis.call('HSET', KEYS[1], 'pinnedId', ARGV[1])
  elseif pinnedId == ARGV[1] then
    redis.call('HDEL', KEYS[1], 'pinnedId')
  end
end
return { blog[1], appendEvent(KEYS[1], KEYS[4], ARGV[6], ARGV[7]), previous }
`);

/**
 * KEYS blog, updates, order. ARGV limit, before (an order key, or '').
 * Returns { epoch, seq, orderKeys, updateJsons } read in one instant, or nil for an unknown blog.
 */
export const LIST_UPDATES = new LuaScript(`
local blog = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
if not blog[1] then return nil end
local start = '+'
if ARGV[2] ~= '' then start = '(' .. ARGV[2] end
local orderKeys = redis.call('ZRANGE', KEYS[3], start, '-', 'BYLEX', 'REV', 'LIMIT', 0, tonumber(ARGV[1]))
local ids = {}
for i, key in ipairs(orderKeys) do ids[i] = string.match(key, ':(.*)$') end
local items = {}
if #ids > 0 then items = redis.call('HMGET', KEYS[2], unpack(ids)) end
return { blog[1], tonumber(blog[2]), orderKeys, items }
`);

/**
 * KEYS blog, events. ARGV afterSeq, limit.
 * Returns { epoch, lastSeq, entries } (entries as XRANGE gives them), or nil for an unknown blog.
 */
export const EVENTS_AFTER = new LuaScript(`
local blog = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
if not blog[1] then return nil end
local lastSeq = tonumber(blog[2])
local after = tonumber(ARGV[1])
if after >= lastSeq then return { blog[1], lastSeq, {} } end
return { blog[1], lastSeq, redis.call('XRANGE', KEYS[2], '(' .. after .. '-0', '+', 'COUNT', tonumber(ARGV[2])) }
`);

/**
 * KEYS tokenByHash. ARGV now, token key prefix. Returns the token's HGETALL (its lastUsedAt set to now),
 * or nil. (The token hash key is derived here, so tokens are not Cluster-slot-safe; they are few.)
 */
export const AUTHENTICATE_TOKEN = new LuaScript(`
local id = redis.call('GET', KEYS[1])
if not id then return nil end
local key = ARGV[2] .. id
if redis.call('EXISTS', key) == 0 then return nil end
redis.call('HSET', key, 'lastUsedAt', ARGV[1])
return redis.call('HGETALL', key)
`);

/** KEYS counter. ARGV windowMs, hits. Returns { hits in this window, ms until it resets }. */
export const RATE_HIT = new LuaScript(`
local hits = redis.call('INCRBY', KEYS[1], tonumber(ARGV[2]))
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { hits, ttl }
`);
