/**
 * What both stores share about a blog's event log: seq numbers count events from 1 within an epoch,
 * each event has a random tag (see shared/cursor.ts), and cursors are formatted from them here, when
 * read, so the log itself never holds a cursor.
 */
import { randomBytes } from 'node:crypto';
import { formatCursor, ORIGIN_TAG, parseCursor } from '../../shared/cursor';
import type { Blog, BlogEvent, Update } from '../../shared/schemas';
import { TimelineError, type BlogRecord } from './timeline';

/** An event as told: what happened, without where in the log it sits. */
export type LoggedEvent = Omit<BlogEvent, 'blogId' | 'cursor' | 'prev'>;

/**
 * An event as the log keeps it: an update's events name the update and never hold its text, so that
 * a deletion or a correction is a takedown — what was deleted or corrected away cannot be read back
 * from the log by anyone (earlier versions stay, for editors only, in the update's versions).
 */
export type StoredEvent = Omit<LoggedEvent, 'update'>;

export function storedForm(logged: LoggedEvent): StoredEvent {
  if (!logged.update) return logged;
  return { type: logged.type, updateId: logged.update.id };
}

/**
 * An event read back from the log, with its update as it is now: a creation or edit of an update
 * deleted since reads as its deletion (so that the cursors still follow on, and no text comes back).
 * Events logged by the first version, which held the whole update, are read back the same way.
 */
export function hydrate(stored: StoredEvent & { update?: Update }, current: Update | null): LoggedEvent {
  if (stored.type !== 'update.created' && stored.type !== 'update.edited')
    return stored.type === 'update.deleted' ? { type: stored.type, updateId: stored.updateId } : stored;
  const updateId = stored.updateId ?? stored.update?.id ?? '';
  return current ? { type: stored.type, update: current } : { type: 'update.deleted', updateId };
}

/** Where a log stands: its epoch, its last event's seq and that event's tag. */
export interface LogHead {
  epoch: string;
  seq: number;
  tag: string;
}

/** The tag of events logged before tags existed (a store written by the first version). */
export const LEGACY_TAG = 'x';

export function headCursor(head: LogHead): string {
  return formatCursor(head.epoch, head.seq, head.tag);
}

export function toBlog(record: BlogRecord, head: LogHead): Blog {
  return { ...record, cursor: headCursor(head) };
}

/** An event at `seq` (tagged `tag`) whose predecessor is tagged `prevTag`. */
export function toEvent(blogId: string, epoch: string, seq: number, tag: string, prevTag: string, logged: LoggedEvent): BlogEvent {
  const cursor = formatCursor(epoch, seq, tag);
  const event: BlogEvent = { blogId, cursor, prev: formatCursor(epoch, seq - 1, prevTag), ...logged };
  // A blog snapshot carries the cursor of the event that made it.
  if (event.blog) event.blog = { ...event.blog, cursor };
  return event;
}

/**
 * The seq to read after for a reader at `cursor`, in a log whose head is `head`. `tagAt` is the tag the
 * log holds at the cursor's seq (ORIGIN_TAG for seq 0 while the log reaches back to its start), or
 * undefined when history no longer reaches back that far. A cursor from another epoch, from beyond the
 * end, or naming an event the log no longer holds at its seq is from a history that no longer exists.
 */
export function verifyCursor(cursor: string, head: LogHead, tagAt: string | undefined): number {
  const parts = parseCursor(cursor);
  if (!parts || parts.epoch !== head.epoch || parts.seq > head.seq) {
    throw new TimelineError('cursor_expired', 'this cursor is not from the blog’s current history: reload');
  }
  if (tagAt === undefined) throw new TimelineError('cursor_expired', 'the history no longer reaches back to this cursor: reload');
  if (parts.tag !== tagAt) throw new TimelineError('cursor_expired', 'the event at this cursor is no longer in the blog’s history: reload');
  return parts.seq;
}

/** The tag of position 0 when the log still reaches back to its first event (`firstHeld`), else undefined. */
export function originTag(firstHeld: number | undefined, lastSeq: number): string | undefined {
  return lastSeq === 0 || firstHeld === 1 ? ORIGIN_TAG : undefined;
}

/** About how many bytes an event takes in an answer (its update's text and HTML, and the rest). */
export function eventBytes(event: BlogEvent): number {
  return (event.update ? event.update.body.length + event.update.html.length + (event.update.title?.length ?? 0) : 0) + 300;
}

/** The first events whose bytes stay within `maxBytes` (at least one, so that a reader always moves on). */
export function withinBytes(events: BlogEvent[], maxBytes: number): BlogEvent[] {
  let bytes = 0;
  for (let i = 0; i < events.length; i++) {
    bytes += eventBytes(events[i]);
    if (bytes > maxBytes && i > 0) return events.slice(0, i);
  }
  return events;
}

/** A fresh epoch for a new log: random, so a log rebuilt after data loss never reuses one. */
export function newEpoch(): string {
  return randomBytes(5).readUIntBE(0, 5).toString(36);
}

/** A fresh event tag: 8 base-36 characters (about 41 bits), never the one-character origin or legacy tags. */
export function newTag(): string {
  return randomBytes(6).readUIntBE(0, 6).toString(36).padStart(8, '0').slice(-8);
}

/** Unpinning an update is not a correction: a new version, `editedAt` untouched. */
export function unpinned(update: Update): Update {
  return { ...update, pinned: false, version: update.version + 1 };
}
