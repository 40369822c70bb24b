/**
 * The Lua scripts that make each write atomic: the state change and its events land together or not at
 * all, and each event's seq is drawn inside the same script, so the log is gapless and in order. Each is
 * an ioredis command (`defineCommand`: EVALSHA, loaded again when Redis lost its script cache, and usable
 * in a pipeline beside `WAIT`). Every KEYS and ARGV entry is named at the top of its script. Errors come
 * back as `LB_<KIND>` replies, turned into TimelineErrors by ./errors.ts.
 *
 * Every key a script touches hashes to one Cluster slot: a blog's keys share the hash tag `{blogId}`
 * (see keys.ts).
 */
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { APPEND_AUDIT, APPEND_EVENT, SHOWS_TAKEN_DOWN, UNPIN } from './lua';
import { PENDING_SCRIPTS } from './pending-scripts';

interface ScriptDefinition {
  keys: number;
  lua: string;
}

export const SCRIPTS = {
  /** Creates a blog unless its id is taken. */
  lbCreateBlog: {
    keys: 2,
    lua: `${APPEND_AUDIT}
local blogKey, auditKey = KEYS[1], KEYS[2]
local id, title, description, createdAt, epoch, auditJson = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
if redis.call('EXISTS', blogKey) == 1 then return redis.error_reply('LB_CONFLICT') end
redis.call('HSET', blogKey, 'id', id, 'title', title, 'status', 'live', 'createdAt', createdAt,
  'updatedAt', createdAt, 'epoch', epoch, 'seq', 0, 'tag', '0', 'rev', 0)
if description ~= '' then redis.call('HSET', blogKey, 'description', description) end
appendAudit(auditKey, auditJson)
return 'OK'
`,
  },

  /** Changes a blog and logs `blog.updated`. Returns { epoch, seq, prevTag }; LB_STALE when it changed since read. */
  lbChangeBlog: {
    keys: 3,
    lua: `${APPEND_EVENT}${APPEND_AUDIT}
local blogKey, eventsKey, auditKey = KEYS[1], KEYS[2], KEYS[3]
local expectedRev, title, description, status, updatedAt, eventJson, tag, maxLen, auditJson =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local current = redis.call('HMGET', blogKey, 'rev', 'epoch')
if not current[1] then return redis.error_reply('LB_BLOG_NOT_FOUND') end
if current[1] ~= expectedRev then return redis.error_reply('LB_STALE') end
redis.call('HSET', blogKey, 'title', title, 'status', status, 'updatedAt', updatedAt)
if description == '' then redis.call('HDEL', blogKey, 'description')
else redis.call('HSET', blogKey, 'description', description) end
redis.call('HINCRBY', blogKey, 'rev', 1)
appendAudit(auditKey, auditJson)
local logged = appendEvent(blogKey, eventsKey, eventJson, tag, maxLen)
return { current[2], logged[1], logged[2] }
`,
  },

  /**
   * Stores a new update, logs `update.created` and, when it is pinned, unpins the one before (see UNPIN).
   * Returns { 'created', epoch, seq, prevTag, unpinSeq, unpinPrevTag } (the last two 0 and '' when
   * nothing was unpinned) or { 'replayed', currentUpdateJson } for an idempotency key used before with
   * the same fingerprint; LB_IDEMPOTENCY_MISMATCH for another fingerprint, LB_IDEMPOTENCY_GONE when the
   * key's update was deleted since. The key's record is `{"u": updateId, "f": fingerprint}` (the first
   * version kept the whole update: its fingerprint is unknown, so it replays by id).
   */
  lbCreateUpdate: {
    keys: 8,
    lua: `${APPEND_EVENT}${APPEND_AUDIT}${UNPIN}${SHOWS_TAKEN_DOWN}
local blogKey, updatesKey, orderKey, eventsKey, idempotencyKey, keyEventsKey, auditKey, takenDownKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local id, updateJson, order, eventJson, tag, maxLen, idempotencyTtl, useIdempotency, pinned, keyEvent =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8] == '1', ARGV[9] == '1', ARGV[10] == '1'
local versionsPrefix, unpinId, unpinVersion, unpinnedJson, unpinEventJson, unpinTag, fingerprint =
  ARGV[11], ARGV[12], ARGV[13], ARGV[14], ARGV[15], ARGV[16], ARGV[17]
local auditJson, unpinAuditJson, shownIds = ARGV[18], ARGV[19], ARGV[20]
local blog = redis.call('HMGET', blogKey, 'epoch', 'status')
if not blog[1] then return redis.error_reply('LB_BLOG_NOT_FOUND') end
if useIdempotency then
  local first = redis.call('GET', idempotencyKey)
  if first then
    local record = cjson.decode(first)
    if record.f and record.f ~= fingerprint then return redis.error_reply('LB_IDEMPOTENCY_MISMATCH') end
    local current = redis.call('HGET', updatesKey, record.u or record.id)
    if not current then return redis.error_reply('LB_IDEMPOTENCY_GONE') end
    return { 'replayed', current }
  end
end
if blog[2] == 'ended' then return redis.error_reply('LB_BLOG_ENDED') end
if redis.call('HEXISTS', updatesKey, id) == 1 then return redis.error_reply('LB_CONFLICT') end
if showsTakenDown(takenDownKey, shownIds) then return redis.error_reply('LB_TAKEN_DOWN') end
local unpinLogged = { 0, '' }
if pinned then
  local reply = unpin(blogKey, updatesKey, eventsKey, versionsPrefix, unpinId, unpinVersion, unpinnedJson, unpinEventJson, unpinTag, maxLen,
    auditKey, unpinAuditJson)
  if reply and reply.err then return reply end
  if reply then unpinLogged = reply end
end
appendAudit(auditKey, auditJson)
redis.call('HSET', updatesKey, id, updateJson)
redis.call('ZADD', orderKey, 0, order)
if keyEvent then redis.call('ZADD', keyEventsKey, 0, order) end
if pinned then redis.call('HSET', blogKey, 'pinnedId', id) end
local logged = appendEvent(blogKey, eventsKey, eventJson, tag, maxLen)
if useIdempotency then redis.call('SET', idempotencyKey, cjson.encode({ u = id, f = fingerprint }), 'EX', idempotencyTtl) end
return { 'created', blog[1], logged[1], logged[2], unpinLogged[1], unpinLogged[2] }
`,
  },

  /**
   * Replaces (or, with an empty newJson, deletes) an update and logs its event; the replaced state is
   * kept in `versions` (a deleted update takes its versions with it). Pinning it unpins the one before
   * (see UNPIN). Returns { epoch, seq, prevTag, unpinSeq, unpinPrevTag }; LB_STALE when the update
   * changed since it was read.
   */
  lbChangeUpdate: {
    keys: 8,
    lua: `${APPEND_EVENT}${APPEND_AUDIT}${UNPIN}${SHOWS_TAKEN_DOWN}
local blogKey, updatesKey, orderKey, eventsKey, versionsKey, keyEventsKey, auditKey, takenDownKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local id, expectedVersion, newJson, oldOrder, newOrder, eventJson, tag, maxLen, pinned, keyEvent =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9] == '1', ARGV[10] == '1'
local versionsPrefix, unpinId, unpinVersion, unpinnedJson, unpinEventJson, unpinTag =
  ARGV[11], ARGV[12], ARGV[13], ARGV[14], ARGV[15], ARGV[16]
local auditJson, unpinAuditJson, shownIds = ARGV[17], ARGV[18], ARGV[19]
local epoch = redis.call('HGET', blogKey, 'epoch')
if not epoch then return redis.error_reply('LB_BLOG_NOT_FOUND') end
local current = redis.call('HGET', updatesKey, id)
if not current then return redis.error_reply('LB_UPDATE_NOT_FOUND') end
if cjson.decode(current).version ~= tonumber(expectedVersion) then return redis.error_reply('LB_STALE') end
if showsTakenDown(takenDownKey, shownIds) then return redis.error_reply('LB_TAKEN_DOWN') end
local unpinLogged = { 0, '' }
if pinned and unpinId ~= id then
  local reply = unpin(blogKey, updatesKey, eventsKey, versionsPrefix, unpinId, unpinVersion, unpinnedJson, unpinEventJson, unpinTag, maxLen,
    auditKey, unpinAuditJson)
  if reply and reply.err then return reply end
  if reply then unpinLogged = reply end
end
appendAudit(auditKey, auditJson)
local pinnedId = redis.call('HGET', blogKey, 'pinnedId')
redis.call('ZREM', orderKey, oldOrder)
redis.call('ZREM', keyEventsKey, oldOrder)
if newJson == '' then
  redis.call('HDEL', updatesKey, id)
  redis.call('DEL', versionsKey)
  if pinnedId == id then redis.call('HDEL', blogKey, 'pinnedId') end
else
  redis.call('RPUSH', versionsKey, current)
  redis.call('HSET', updatesKey, id, newJson)
  redis.call('ZADD', orderKey, 0, newOrder)
  if keyEvent then redis.call('ZADD', keyEventsKey, 0, newOrder) end
  if pinned then redis.call('HSET', blogKey, 'pinnedId', id)
  elseif pinnedId == id then redis.call('HDEL', blogKey, 'pinnedId') end
end
local logged = appendEvent(blogKey, eventsKey, eventJson, tag, maxLen)
return { epoch, logged[1], logged[2], unpinLogged[1], unpinLogged[2] }
`,
  },

  /** A page of updates, newest first, with the log's head read in the same instant; nil for an unknown blog. */
  lbListUpdates: {
    keys: 3,
    lua: `
local blogKey, updatesKey, orderKey = KEYS[1], KEYS[2], KEYS[3]
local limit, before = tonumber(ARGV[1]), ARGV[2]
local blog = redis.call('HMGET', blogKey, 'epoch', 'seq', 'tag')
if not blog[1] then return nil end
local start = '+'
if before ~= '' then start = '(' .. before end
local orderKeys = redis.call('ZRANGE', orderKey, start, '-', 'BYLEX', 'REV', 'LIMIT', 0, limit)
local ids = {}
for i, key in ipairs(orderKeys) do ids[i] = string.match(key, ':(.*)$') end
local items = {}
if #ids > 0 then items = redis.call('HMGET', updatesKey, unpack(ids)) end
return { blog[1], tonumber(blog[2]), blog[3] or 'x', orderKeys, items }
`,
  },

  /**
   * The updates around one (by its order key): up to `newerWanted` newer ones, itself, and up to
   * `olderWanted` older ones plus one (to tell whether more follow), newest first, with the log's head
   * and how many updates are newer in all. Returns { epoch, seq, tag, orderKeys, items, newerTotal },
   * { epoch, seq, tag, false } when the order key is not (or no longer) in the blog, nil for an unknown blog.
   */
  lbListAround: {
    keys: 3,
    lua: `
local blogKey, updatesKey, orderKey = KEYS[1], KEYS[2], KEYS[3]
local target, newerWanted, olderWanted = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local blog = redis.call('HMGET', blogKey, 'epoch', 'seq', 'tag')
if not blog[1] then return nil end
if not redis.call('ZRANK', orderKey, target) then return { blog[1], tonumber(blog[2]), blog[3] or 'x', 0 } end
local newerTotal = redis.call('ZLEXCOUNT', orderKey, '(' .. target, '+')
-- Fewer newer ones than half the page: the rest of the page goes to older ones.
local newerCount = math.min(newerWanted, newerTotal)
olderWanted = olderWanted + newerWanted - newerCount
local newer = redis.call('ZRANGE', orderKey, '(' .. target, '+', 'BYLEX', 'LIMIT', 0, newerCount)
local older = redis.call('ZRANGE', orderKey, '(' .. target, '-', 'BYLEX', 'REV', 'LIMIT', 0, olderWanted + 1)
local orderKeys = {}
for i = #newer, 1, -1 do orderKeys[#orderKeys + 1] = newer[i] end
orderKeys[#orderKeys + 1] = target
for _, key in ipairs(older) do orderKeys[#orderKeys + 1] = key end
local ids = {}
for i, key in ipairs(orderKeys) do ids[i] = string.match(key, ':(.*)$') end
return { blog[1], tonumber(blog[2]), blog[3] or 'x', orderKeys, redis.call('HMGET', updatesKey, unpack(ids)), newerTotal }
`,
  },

  /**
   * The log's head and the entries from `fromSeq` on (inclusive, so that the caller can verify the tag
   * at the reader's own cursor), at most `count`, each with the current state of the update it is
   * about ('' for none: a blog event, a deletion, or an update deleted since): the log holds only
   * references, so what was deleted or corrected away is never read back. Returns { epoch, lastSeq,
   * lastTag, entries, currents }, or nil for an unknown blog. `fromSeq` past the head reads nothing.
   */
  lbReadLog: {
    keys: 3,
    lua: `
local blogKey, eventsKey, updatesKey = KEYS[1], KEYS[2], KEYS[3]
-- maxBytes: stop (after the first entry past fromSeq) once the updates read back pass it.
local fromSeq, count, maxBytes = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local blog = redis.call('HMGET', blogKey, 'epoch', 'seq', 'tag')
if not blog[1] then return nil end
local lastSeq = tonumber(blog[2])
-- A negative fromSeq counts back from the head: -10 reads the last ten events.
if fromSeq < 0 then fromSeq = math.max(1, lastSeq + fromSeq + 1) end
local entries = {}
if fromSeq <= lastSeq and count > 0 then entries = redis.call('XRANGE', eventsKey, fromSeq .. '-0', '+', 'COUNT', count) end
local currents = {}
local bytes = 0
for i, entry in ipairs(entries) do
  if bytes > maxBytes and i > 2 then
    for j = #entries, i, -1 do entries[j] = nil end
    break
  end
  local fields, json = entry[2], '{}'
  for j = 1, #fields, 2 do if fields[j] == 'e' then json = fields[j + 1] end end
  local ok, logged = pcall(cjson.decode, json)
  local id = nil
  -- Entries of the first version carried the whole update; theirs is read back by id as well.
  if ok and type(logged) == 'table' and logged.type ~= 'update.deleted' then
    id = logged.updateId or (type(logged.update) == 'table' and logged.update.id) or nil
  end
  currents[i] = (type(id) == 'string' and redis.call('HGET', updatesKey, id)) or ''
  bytes = bytes + #json + #currents[i]
end
return { blog[1], lastSeq, blog[3] or (lastSeq == 0 and '0' or 'x'), entries, currents }
`,
  },

  /** Adds hits to a fixed-window counter. Returns { hits in this window, ms until it resets }. */
  lbRateHit: {
    keys: 1,
    lua: `
local counterKey = KEYS[1]
local windowMs, hits = ARGV[1], tonumber(ARGV[2])
local total = redis.call('INCRBY', counterKey, hits)
local ttl = redis.call('PTTL', counterKey)
if ttl < 0 then
  redis.call('PEXPIRE', counterKey, windowMs)
  ttl = tonumber(windowMs)
end
return { total, ttl }
`,
  },
  ...PENDING_SCRIPTS,
} satisfies Record<string, ScriptDefinition>;

export type ScriptName = keyof typeof SCRIPTS;
type ScriptArg = string | number;
type RedisLike = Redis | Cluster;

/** Registers every script as a command of `client` (once per client). */
export function defineScripts(client: RedisLike): void {
  for (const [name, { keys, lua }] of Object.entries(SCRIPTS)) client.defineCommand(name, { numberOfKeys: keys, lua });
}

/** Runs a script defined by defineScripts. */
export function runScript(client: RedisLike, name: ScriptName, keys: string[], args: ScriptArg[]): Promise<unknown> {
  return (client as unknown as Record<ScriptName, (...all: ScriptArg[]) => Promise<unknown>>)[name](...keys, ...args);
}

/** Queues a script in a pipeline or transaction. */
export function queueScript(pipeline: ChainableCommander, name: ScriptName, keys: string[], args: ScriptArg[]): ChainableCommander {
  return (pipeline as unknown as Record<ScriptName, (...all: ScriptArg[]) => ChainableCommander>)[name](...keys, ...args);
}
