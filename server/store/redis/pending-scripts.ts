/**
 * The approval queue's scripts (see redis/pending.ts): a blog's queue is a HASH in the blog's slot,
 * apart from its updates, order and log, so no read for readers can come across an entry. Approving
 * moves the entry into the updates and logs `update.created` in one script: two approvals at once
 * publish once, and an approval racing a rejection leaves exactly one of them done.
 */
import { APPEND_AUDIT, APPEND_EVENT } from './lua';

// The entry `id` as it waits: LB_UPDATE_NOT_FOUND without one, LB_DECIDED once rejected or published,
// LB_STALE when it is not at `expectedVersion` (the caller read it before a change: it reads again).
const WAITING = `
local function waiting(pendingKey, updatesKey, id, expectedVersion)
  local json = redis.call('HGET', pendingKey, id)
  if not json then
    if redis.call('HEXISTS', updatesKey, id) == 1 then return nil, 'LB_DECIDED' end
    return nil, 'LB_UPDATE_NOT_FOUND'
  end
  local entry = cjson.decode(json)
  if entry.status ~= 'pending' then return nil, 'LB_DECIDED' end
  if entry.version ~= tonumber(expectedVersion) then return nil, 'LB_STALE' end
  return entry
end
`;

export const PENDING_SCRIPTS = {
  /** Deletes the named entries that are rejected (expired ones, chosen by the caller). Returns how many went. */
  lbPurgePending: {
    keys: 1,
    lua: `
local pendingKey = KEYS[1]
local gone = 0
for _, id in ipairs(ARGV) do
  local json = redis.call('HGET', pendingKey, id)
  if json and cjson.decode(json).status == 'rejected' then gone = gone + redis.call('HDEL', pendingKey, id) end
end
return gone
`,
  },

  /**
   * Queues an entry. Returns { 'created' }, or for an idempotency key used before with the same
   * fingerprint { 'pending', entryJson } (still queued) or { 'update', updateJson } (approved since).
   * LB_BLOG_ENDED, LB_CONFLICT (id taken), LB_QUEUE_FULL (`max` entries), LB_IDEMPOTENCY_MISMATCH,
   * LB_IDEMPOTENCY_GONE; the key's record is createUpdate's, `{"u": id, "f": fingerprint}`.
   */
  lbSubmitPending: {
    keys: 5,
    lua: `${APPEND_AUDIT}
local blogKey, pendingKey, updatesKey, auditKey, idempotencyKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, entryJson, max, auditJson, useIdempotency, fingerprint, idempotencyTtl =
  ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5] == '1', ARGV[6], ARGV[7]
local status = redis.call('HGET', blogKey, 'status')
if not status then return redis.error_reply('LB_BLOG_NOT_FOUND') end
if useIdempotency then
  local first = redis.call('GET', idempotencyKey)
  if first then
    local record = cjson.decode(first)
    if record.f ~= fingerprint then return redis.error_reply('LB_IDEMPOTENCY_MISMATCH') end
    local queued = redis.call('HGET', pendingKey, record.u)
    if queued then return { 'pending', queued } end
    local published = redis.call('HGET', updatesKey, record.u)
    if published then return { 'update', published } end
    return redis.error_reply('LB_IDEMPOTENCY_GONE')
  end
end
if status == 'ended' then return redis.error_reply('LB_BLOG_ENDED') end
if redis.call('HEXISTS', pendingKey, id) == 1 or redis.call('HEXISTS', updatesKey, id) == 1 then
  return redis.error_reply('LB_CONFLICT')
end
if redis.call('HLEN', pendingKey) >= max then return redis.error_reply('LB_QUEUE_FULL') end
redis.call('HSET', pendingKey, id, entryJson)
if useIdempotency then redis.call('SET', idempotencyKey, cjson.encode({ u = id, f = fingerprint }), 'EX', idempotencyTtl) end
appendAudit(auditKey, auditJson)
return { 'created' }
`,
  },

  /** Replaces a waiting entry (an edit, or its rejection). Errors as WAITING says. */
  lbReplacePending: {
    keys: 4,
    lua: `${APPEND_AUDIT}${WAITING}
local blogKey, pendingKey, updatesKey, auditKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, expectedVersion, entryJson, auditJson = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', blogKey) == 0 then return redis.error_reply('LB_BLOG_NOT_FOUND') end
local entry, err = waiting(pendingKey, updatesKey, id, expectedVersion)
if not entry then return redis.error_reply(err) end
redis.call('HSET', pendingKey, id, entryJson)
appendAudit(auditKey, auditJson)
return 'OK'
`,
  },

  /**
   * Publishes a waiting entry as `updateJson` (same id, never pinned), logs `update.created`, takes it off
   * the queue. Returns { 'created', epoch, seq, prevTag }, or { 'replayed', currentJson } when it was
   * published before (a retried or concurrent approval). Errors as WAITING says, and LB_BLOG_ENDED.
   */
  lbApprovePending: {
    keys: 7,
    lua: `${APPEND_EVENT}${APPEND_AUDIT}${WAITING}
local blogKey, updatesKey, orderKey, eventsKey, keyEventsKey, pendingKey, auditKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local id, expectedVersion, updateJson, order, eventJson, tag, maxLen, keyEvent, auditJson =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8] == '1', ARGV[9]
local blog = redis.call('HMGET', blogKey, 'epoch', 'status')
if not blog[1] then return redis.error_reply('LB_BLOG_NOT_FOUND') end
if redis.call('HEXISTS', pendingKey, id) == 0 then
  local published = redis.call('HGET', updatesKey, id)
  if published then return { 'replayed', published } end
end
local entry, err = waiting(pendingKey, updatesKey, id, expectedVersion)
if not entry then return redis.error_reply(err) end
if blog[2] == 'ended' then return redis.error_reply('LB_BLOG_ENDED') end
redis.call('HDEL', pendingKey, id)
redis.call('HSET', updatesKey, id, updateJson)
redis.call('ZADD', orderKey, 0, order)
if keyEvent then redis.call('ZADD', keyEventsKey, 0, order) end
appendAudit(auditKey, auditJson)
local logged = appendEvent(blogKey, eventsKey, eventJson, tag, maxLen)
return { 'created', blog[1], logged[1], logged[2] }
`,
  },
};
