/** Lua functions the write scripts share (scripts.ts, pending-scripts.ts). */

// Appends an entry to the blog's audit trail (a stream in the blog's slot, so the write that the entry
// records and the entry land together): id `*` (the time; ids are also the trail's page tokens), field
// `a` the entry's JSON without its id. An empty entry appends nothing.
export const APPEND_AUDIT = `
local function appendAudit(auditKey, entryJson)
  if entryJson ~= '' then redis.call('XADD', auditKey, '*', 'a', entryJson) end
end
`;

// Appends one event: seq is the blog's counter, the entry id `<seq>-0`, fields `e` (the event), `t` (its
// tag) and `p` (the previous event's tag). One entry more than the history is kept, so that a reader
// exactly that far behind can still have its cursor verified.
export const APPEND_EVENT = `
local function appendEvent(blogKey, eventsKey, eventJson, tag, maxLen)
  local seq = redis.call('HINCRBY', blogKey, 'seq', 1)
  local prevTag = redis.call('HGET', blogKey, 'tag') or (seq == 1 and '0' or 'x')
  redis.call('HSET', blogKey, 'tag', tag)
  redis.call('XADD', eventsKey, 'MAXLEN', tonumber(maxLen) + 1, seq .. '-0', 'e', eventJson, 't', tag, 'p', prevTag)
  return { seq, prevTag }
end
`;

// One pinned update per blog: unpins the blog's pinned update `expectedId` (at `expectedVersion`) with
// `unpinnedJson`, keeping the replaced state as a version, and logs its edit. LB_STALE when the blog's
// pinned update is not the one the caller prepared for (it re-reads and tries again). Returns nil when
// nothing was pinned, the appended { seq, prevTag }, or an error reply for the caller to return. The
// unpin is recorded in the audit trail with `auditJson` (needs APPEND_AUDIT).
export const UNPIN = `
local function unpin(blogKey, updatesKey, eventsKey, versionsPrefix, expectedId, expectedVersion, unpinnedJson, eventJson, tag, maxLen, auditKey, auditJson)
  local pinnedId = redis.call('HGET', blogKey, 'pinnedId') or ''
  if pinnedId ~= expectedId then return redis.error_reply('LB_STALE') end
  if pinnedId == '' then return nil end
  local current = redis.call('HGET', updatesKey, pinnedId)
  if not current then return redis.error_reply('LB_STALE') end
  if cjson.decode(current).version ~= tonumber(expectedVersion) then return redis.error_reply('LB_STALE') end
  redis.call('RPUSH', versionsPrefix .. pinnedId, current)
  redis.call('HSET', updatesKey, pinnedId, unpinnedJson)
  redis.call('HDEL', blogKey, 'pinnedId')
  appendAudit(auditKey, auditJson)
  return appendEvent(blogKey, eventsKey, eventJson, tag, maxLen)
end
`;

// Whether what a write stores names a picture taken down: takenDownKey is the blog's SET of them,
// shownIds the media ids its body and HTML name, space-separated (picturesIn in media/markup.ts, Timeline.markTakenDown).
export const SHOWS_TAKEN_DOWN = `
local function showsTakenDown(takenDownKey, shownIds)
  for mediaId in string.gmatch(shownIds, '%S+') do
    if redis.call('SISMEMBER', takenDownKey, mediaId) == 1 then return true end
  end
  return false
end
`;
