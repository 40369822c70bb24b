/**
 * What both stores share about a blog's event log: seq numbers count events from 1 within an epoch,
 * and cursors are formatted from them here, when read, so the log itself never holds a cursor.
 */
import { randomBytes } from 'node:crypto';
import { formatCursor, parseCursor } from '../../shared/cursor';
import type { Blog, BlogEvent } from '../../shared/schemas';
import { TimelineError, type BlogRecord } from './timeline';

/** An event as logged: what happened, without where in the log it sits. */
export type LoggedEvent = Omit<BlogEvent, 'blogId' | 'cursor' | 'prev'>;

export function toBlog(record: BlogRecord, epoch: string, seq: number): Blog {
  return { ...record, cursor: formatCursor(epoch, seq) };
}

export function toEvent(blogId: string, epoch: string, seq: number, logged: LoggedEvent): BlogEvent {
  const cursor = formatCursor(epoch, seq);
  const event: BlogEvent = { blogId, cursor, prev: formatCursor(epoch, seq - 1), ...logged };
  // A blog snapshot carries the cursor of the event that made it.
  if (event.blog) event.blog = { ...event.blog, cursor };
  return event;
}

/**
 * The seq to read after for a reader at `cursor`, in a log at `epoch` whose last event is `lastSeq`.
 * A cursor from another epoch or from beyond the end is from a log that no longer exists.
 */
export function seqAfter(cursor: string, epoch: string, lastSeq: number): number {
  const parts = parseCursor(cursor);
  if (!parts || parts.epoch !== epoch || parts.seq > lastSeq) {
    throw new TimelineError('cursor_expired', 'this cursor is not from the blog’s current history: reload');
  }
  return parts.seq;
}

/** Throws unless the events read after `afterSeq` start right after it (the log was trimmed past it). */
export function assertContiguous(afterSeq: number, lastSeq: number, firstSeqRead: number | undefined): void {
  if (afterSeq < lastSeq && firstSeqRead !== afterSeq + 1) {
    throw new TimelineError('cursor_expired', 'the history no longer reaches back to this cursor: reload');
  }
}

/** A fresh epoch for a new log: random, so a log rebuilt after data loss never reuses one. */
export function newEpoch(): string {
  return randomBytes(5).readUIntBE(0, 5).toString(36);
}
