/**
 * Cursors name a position in one blog's event log: `<epoch>-<seq>`, seq zero-padded so that within a
 * blog a later cursor also sorts later as a string. The epoch is drawn when the blog's log is created;
 * a log rebuilt after data loss gets a new one, so an old cursor is recognised as foreign, never
 * silently mistaken for a position in the new log.
 *
 * Clients should treat cursors as opaque; this module is what our own client and server use.
 */
const SEQ_DIGITS = 12;
export const CURSOR_PATTERN = /^[a-z0-9]{1,16}-\d{12}$/;

export interface CursorParts {
  epoch: string;
  seq: number;
}

export function formatCursor(epoch: string, seq: number): string {
  return `${epoch}-${String(seq).padStart(SEQ_DIGITS, '0')}`;
}

export function parseCursor(cursor: string): CursorParts | null {
  if (!CURSOR_PATTERN.test(cursor)) return null;
  const dash = cursor.lastIndexOf('-');
  return { epoch: cursor.slice(0, dash), seq: Number(cursor.slice(dash + 1)) };
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
