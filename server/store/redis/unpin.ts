/**
 * The unpin a pinning write carries (the blog has one pinned update): planned from a read before the
 * write script, which checks the pinned update's version and applies it in the same step, with its own
 * event and audit entry.
 */
import { parseCursor } from '../../../shared/cursor';
import type { BlogEvent, Update } from '../../../shared/schemas';
import { updateAutoUnpinned, type AuditStamp } from '../audit-entries';
import { newTag, storedForm, toEvent, unpinned, type LoggedEvent } from '../log';
import type { RedisClient } from './connection';
import type { Keys } from './keys';

/** The unpin a pinning write carries: the pinned update as read, and what it becomes. */
export interface UnpinPlan {
  args: (string | number)[];
  /** Its audit entry's JSON ('' when nothing is unpinned). */
  audit: string;
  logged?: LoggedEvent;
  tag: string;
}

export const NO_UNPIN: UnpinPlan = { args: ['', 0, '', '', ''], audit: '', tag: '' };

/** What the script needs to unpin the blog's pinned update (unless it is `pinningId` itself). */
export async function planUnpin(
  redis: RedisClient,
  keys: Keys,
  getUpdate: (blogId: string, updateId: string) => Promise<Update | null>,
  blogId: string,
  pinningId: string,
  audit: AuditStamp,
): Promise<UnpinPlan> {
  const pinnedId = (await redis.hget(keys.blog(blogId), 'pinnedId')) ?? '';
  const pinned = pinnedId && pinnedId !== pinningId ? await getUpdate(blogId, pinnedId) : null;
  if (!pinned) return { args: [pinnedId, 0, '', '', ''], audit: '', tag: '' };
  const next = unpinned(pinned);
  const logged: LoggedEvent = { type: 'update.edited', update: next };
  const tag = newTag();
  return {
    args: [pinnedId, pinned.version, JSON.stringify(next), JSON.stringify(storedForm(logged)), tag],
    audit: JSON.stringify(updateAutoUnpinned(audit, pinned, next)),
    logged,
    tag,
  };
}

/** The write's own event and, when it unpinned another update, that edit's event, in log order. */
export function withUnpin(
  event: BlogEvent,
  blogId: string,
  epoch: string,
  unpin: UnpinPlan,
  unpinSeq: number,
  unpinPrevTag: string,
): BlogEvent[] {
  if (!unpin.logged || !unpinSeq) return [event];
  const unpinEvent = toEvent(blogId, epoch, unpinSeq, unpin.tag, unpinPrevTag, unpin.logged);
  return unpinSeq < (parseCursor(event.cursor)?.seq ?? 0) ? [unpinEvent, event] : [event, unpinEvent];
}
