/**
 * Cursors name one event of one blog's log: `<epoch>-<seq>-<tag>`.
 * - seq counts the blog's events without gaps, zero-padded so that within a blog a later cursor also
 *   sorts later as a string;
 * - the epoch is drawn when the blog's log is created; a log rebuilt after data loss gets a new one;
 * - the tag is drawn for each event when it is written. If the store loses its tail (a failover to a
 *   replica that lagged, a backup restored, a crash before the disk had it), the next event takes a
 *   seq that was used before, under the same epoch, but never its tag: so a cursor never names two
 *   events, and a reader holding the lost one is told `cursor_expired` instead of silently skipping
 *   the event that took its place.
 *
 * Cursors of the first version (`<epoch>-<seq>`, without a tag) are still accepted as input; their
 * event cannot be verified, so they are answered `cursor_expired` (a reload of the list) once.
 *
 * Clients should treat cursors as opaque; this module is what our own client and server use.
 */
const SEQ_DIGITS = 12;
export const CURSOR_PATTERN = /^[a-z0-9]{1,16}-\d{12}(?:-[a-z0-9]{1,16})?$/;
/** The tag of position 0, before a blog's first event. */
export const ORIGIN_TAG = '0';

export interface CursorParts {
  epoch: string;
  seq: number;
  /** Empty for a first-version cursor. */
  tag: string;
}

export function formatCursor(epoch: string, seq: number, tag: string): string {
  return `${epoch}-${String(seq).padStart(SEQ_DIGITS, '0')}-${tag}`;
}

export function parseCursor(cursor: string): CursorParts | null {
  if (!CURSOR_PATTERN.test(cursor)) return null;
  const [epoch, seq, tag = ''] = cursor.split('-');
  return { epoch, seq: Number(seq), tag };
}

/** Whether `a` is later than `b` in the same log; false when they belong to different epochs. */
export function isAfter(a: string, b: string): boolean {
  const pa = parseCursor(a);
  const pb = parseCursor(b);
  return !!pa && !!pb && pa.epoch === pb.epoch && pa.seq > pb.seq;
}

export function sameEpoch(a: string, b: string): boolean {
  return parseCursor(a)?.epoch === parseCursor(b)?.epoch;
}

/** The seq of a cursor known to be well formed (one this service made). */
export function seqOf(cursor: string): number {
  return parseCursor(cursor)?.seq ?? -1;
}
