/**
 * The approval queue's scripts (see redis/pending.ts): a blog's queue is a HASH in the blog's slot,
 * apart from its updates, order and log, so no read for readers can come across an entry. Approving
 * moves the entry into the updates and logs `update.created` in one script: two approvals at once
 * publish once, and an approval racing a rejection leaves exactly one of them done.
 *
 * Two sorted sets beside the hash (same slot) index it, so the caps are counted without reading the
 * entries: `…:pending:waiting`, members `<submitterId> NUL <id>`, and `…:pending:rejected`, members
 * `<submitterId> NUL <rejected at, 15-digit ms> NUL <id>`; all scores 0, so one contributor's members
 * are one lexical range, their rejected ones oldest first. Every script that changes an entry's status
 * changes the index with it.
 */
import { APPEND_AUDIT, APPEND_EVENT, SHOWS_TAKEN_DOWN } from './lua';

// The entry `id` as it waits: LB_UPDATE_NOT_FOUND without one, LB_DECIDED once rejected (unless
// rejectedToo) or published, LB_STALE when it is not at `expectedVersion` (the caller read it before a
// change: it reads again).
const WAITING = `
local function waiting(pendingKey, updatesKey, id, expectedVersion, rejectedToo)
  local json = redis.call('HGET', pendingKey, id)
  if not json then
    if redis.call('HEXISTS', updatesKey, id) == 1 then return nil, 'LB_DECIDED' end
    return nil, 'LB_UPDATE_NOT_FOUND'
  end
  local entry = cjson.decode(json)
  if entry.status ~= 'pending' and not (rejectedToo and entry.status == 'rejected') then return nil, 'LB_DECIDED' end
  if entry.version ~= tonumber(expectedVersion) then return nil, 'LB_STALE' end
  return entry
end
`;

// The queue's index (see above): a contributor's lexical range, and the members of an entry.
const INDEX = `
local NUL, ONE = string.char(0), string.char(1)
local function rangeOf(submitter) return '[' .. submitter .. NUL, '(' .. submitter .. ONE end
local function waitingMember(submitter, id) return submitter .. NUL .. id end
local function rejectedMember(submitter, at, id) return submitter .. NUL .. at .. NUL .. id end
`;

export const PENDING_SCRIPTS = {
  /**
   * Deletes the named entries that are rejected (expired ones, chosen by the caller): ARGV is pairs of
   * id and its rejection time as the index has it. Returns how many went.
   */
  lbPurgePending: {
    keys: 2,
    lua: `${INDEX}
local pendingKey, rejectedKey = KEYS[1], KEYS[2]
local gone = 0
for i = 1, #ARGV, 2 do
  local id, at = ARGV[i], ARGV[i + 1]
  local json = redis.call('HGET', pendingKey, id)
  local entry = json and cjson.decode(json)
  if entry and entry.status == 'rejected' then
    gone = gone + redis.call('HDEL', pendingKey, id)
    redis.call('ZREM', rejectedKey, rejectedMember(entry.submittedBy.id, at, id))
  end
end
return gone
`,
  },

  /**
   * Queues an entry. Returns { 'created' }, or for an idempotency key used before with the same
   * fingerprint { 'pending', entryJson } (still queued) or { 'update', updateJson } (approved since).
   * { 'contributor_full' } when `submitter` has `perContributor` entries waiting. LB_BLOG_ENDED,
   * LB_CONFLICT (id taken), LB_QUEUE_FULL (`max` entries waiting; rejected ones do not count),
   * LB_IDEMPOTENCY_MISMATCH, LB_IDEMPOTENCY_GONE; the key's record is createUpdate's, `{"u": id, "f": fingerprint}`.
   */
  lbSubmitPending: {
    keys: 7,
    lua: `${APPEND_AUDIT}${INDEX}${SHOWS_TAKEN_DOWN}
local blogKey, pendingKey, updatesKey, auditKey, idempotencyKey, waitingKey, takenDownKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local id, entryJson, max, auditJson, useIdempotency, fingerprint, idempotencyTtl, submitter, perContributor, shownIds =
  ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5] == '1', ARGV[6], ARGV[7], ARGV[8], tonumber(ARGV[9]), ARGV[10]
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
local from, to = rangeOf(submitter)
if redis.call('ZLEXCOUNT', waitingKey, from, to) >= perContributor then return { 'contributor_full' } end
if redis.call('ZCARD', waitingKey) >= max then return redis.error_reply('LB_QUEUE_FULL') end
if showsTakenDown(takenDownKey, shownIds) then return redis.error_reply('LB_TAKEN_DOWN') end
redis.call('HSET', pendingKey, id, entryJson)
redis.call('ZADD', waitingKey, 0, waitingMember(submitter, id))
if useIdempotency then redis.call('SET', idempotencyKey, cjson.encode({ u = id, f = fingerprint }), 'EX', idempotencyTtl) end
appendAudit(auditKey, auditJson)
return { 'created' }
`,
  },

  /**
   * Replaces a waiting entry by its correction (its submitter unchanged); a rejected one too with
   * rejectedToo (a takedown's sweep: its status is kept). Errors as WAITING says.
   */
  lbReplacePending: {
    keys: 5,
    lua: `${APPEND_AUDIT}${WAITING}${SHOWS_TAKEN_DOWN}
local blogKey, pendingKey, updatesKey, auditKey, takenDownKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, expectedVersion, entryJson, auditJson, shownIds, rejectedToo = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6] == '1'
if redis.call('EXISTS', blogKey) == 0 then return redis.error_reply('LB_BLOG_NOT_FOUND') end
local entry, err = waiting(pendingKey, updatesKey, id, expectedVersion, rejectedToo)
if not entry then return redis.error_reply(err) end
if showsTakenDown(takenDownKey, shownIds) then return redis.error_reply('LB_TAKEN_DOWN') end
redis.call('HSET', pendingKey, id, entryJson)
appendAudit(auditKey, auditJson)
return 'OK'
`,
  },

  /**
   * Rejects a waiting entry: it leaves the waiting index for its contributor's rejected ones, and their
   * rejected entries beyond `maxRejected` are deleted, oldest first. Errors as WAITING says.
   */
  lbRejectPending: {
    keys: 6,
    lua: `${APPEND_AUDIT}${WAITING}${INDEX}
local blogKey, pendingKey, updatesKey, auditKey, waitingKey, rejectedKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local id, expectedVersion, entryJson, auditJson, rejectedAt, maxRejected =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
if redis.call('EXISTS', blogKey) == 0 then return redis.error_reply('LB_BLOG_NOT_FOUND') end
local entry, err = waiting(pendingKey, updatesKey, id, expectedVersion)
if not entry then return redis.error_reply(err) end
local submitter = entry.submittedBy.id
redis.call('HSET', pendingKey, id, entryJson)
redis.call('ZREM', waitingKey, waitingMember(submitter, id))
redis.call('ZADD', rejectedKey, 0, rejectedMember(submitter, rejectedAt, id))
appendAudit(auditKey, auditJson)
local from, to = rangeOf(submitter)
local over = redis.call('ZLEXCOUNT', rejectedKey, from, to) - maxRejected
if over > 0 then
  for _, member in ipairs(redis.call('ZRANGEBYLEX', rejectedKey, from, to, 'LIMIT', 0, over)) do
    redis.call('HDEL', pendingKey, string.match(member, '%z([^%z]*)$'))
    redis.call('ZREM', rejectedKey, member)
  end
end
return 'OK'
`,
  },

  /**
   * Publishes a waiting entry as `updateJson` (same id, never pinned), logs `update.created`, takes it off
   * the queue. Returns { 'created', epoch, seq, prevTag }, or { 'replayed', currentJson } when it was
   * published before (a retried or concurrent approval). Errors as WAITING says, and LB_BLOG_ENDED.
   */
  lbApprovePending: {
    keys: 9,
    lua: `${APPEND_EVENT}${APPEND_AUDIT}${WAITING}${INDEX}${SHOWS_TAKEN_DOWN}
local blogKey, updatesKey, orderKey, eventsKey, keyEventsKey, pendingKey, auditKey, waitingKey, takenDownKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local id, expectedVersion, updateJson, order, eventJson, tag, maxLen, keyEvent, auditJson, shownIds =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8] == '1', ARGV[9], ARGV[10]
local blog = redis.call('HMGET', blogKey, 'epoch', 'status')
if not blog[1] then return redis.error_reply('LB_BLOG_NOT_FOUND') end
if redis.call('HEXISTS', pendingKey, id) == 0 then
  local published = redis.call('HGET', updatesKey, id)
  if published then return { 'replayed', published } end
end
local entry, err = waiting(pendingKey, updatesKey, id, expectedVersion)
if not entry then return redis.error_reply(err) end
if blog[2] == 'ended' then return redis.error_reply('LB_BLOG_ENDED') end
if showsTakenDown(takenDownKey, shownIds) then return redis.error_reply('LB_TAKEN_DOWN') end
redis.call('HDEL', pendingKey, id)
redis.call('ZREM', waitingKey, waitingMember(entry.submittedBy.id, id))
redis.call('HSET', updatesKey, id, updateJson)
redis.call('ZADD', orderKey, 0, order)
if keyEvent then redis.call('ZADD', keyEventsKey, 0, order) end
appendAudit(auditKey, auditJson)
local logged = appendEvent(blogKey, eventsKey, eventJson, tag, maxLen)
return { 'created', blog[1], logged[1], logged[2] }
`,
  },
};
