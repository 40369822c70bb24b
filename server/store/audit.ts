/**
 * The audit trail: who changed what, when. A blog's entries are written by the same atomic write as the
 * change they record (the Redis scripts append to the blog's audit stream, the in-process timeline to
 * its list), and so are a person's (the people store's scripts append to the service's trail): no such
 * change is kept without its entry, nor an entry without its change. Tokens, whose keys predate the
 * trail and live in other Cluster slots, are recorded here right after their change (`record`); a
 * failed entry is logged at error level by the caller.
 *
 * Entries are never trimmed: "who removed the casualty figure" must be answerable after the update is
 * gone. An entry's id is its position (a Redis stream id, `<ms>-<seq>`), which is also the page token.
 */
import type { AuditEntry, AuditPage } from '../../shared/schemas';

/** An entry as it is written; the store gives it its id. */
export type AuditDraft = Omit<AuditEntry, 'id'>;

/** Whose trail: a blog's, or the service's own (people and tokens). */
export type AuditScope = { blogId: string } | 'service';

export interface AuditQuery {
  limit: number;
  /** An entry id: only older entries come back. */
  before?: string;
  /** Only the entries about this update. */
  updateId?: string;
}

export interface AuditLog {
  /** Appends an entry to the service's trail (tokens). Blogs' and people's entries come with their writes. */
  record(entry: AuditDraft): Promise<void>;
  /** Newest first; `next` pages to older ones. */
  list(scope: AuditScope, query: AuditQuery): Promise<AuditPage>;
}

/** Ids compare as `<ms>-<seq>` pairs. */
export function compareAuditIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am - bm || as - bs;
}

/**
 * The in-process trail: one list per blog (appended by MemoryTimeline in its writes, see `append`) and
 * the service's own.
 */
export class MemoryAuditLog implements AuditLog {
  private readonly trails = new Map<string, AuditEntry[]>();
  private lastMs = 0;
  private seq = 0;

  async record(entry: AuditDraft): Promise<void> {
    this.append('service', entry);
  }

  /** Appends synchronously, so that a memory write and its entry happen in one step. */
  append(scope: AuditScope, entry: AuditDraft): AuditEntry {
    const key = scope === 'service' ? '' : scope.blogId;
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.seq = 0;
    } else this.seq += 1;
    const stored: AuditEntry = { id: `${this.lastMs}-${this.seq}`, ...entry };
    const trail = this.trails.get(key) ?? [];
    trail.push(stored);
    this.trails.set(key, trail);
    return stored;
  }

  async list(scope: AuditScope, query: AuditQuery): Promise<AuditPage> {
    const trail = this.trails.get(scope === 'service' ? '' : scope.blogId) ?? [];
    return pageOf(
      [...trail].reverse().filter((entry) => !query.updateId || entry.updateId === query.updateId),
      query,
    );
  }
}

/** A page of entries, newest first, from those given newest first. */
export function pageOf(newestFirst: AuditEntry[], query: AuditQuery): AuditPage {
  const older = query.before ? newestFirst.filter((entry) => compareAuditIds(entry.id, query.before!) < 0) : newestFirst;
  const entries = older.slice(0, query.limit);
  return { entries, ...(older.length > query.limit ? { next: entries[entries.length - 1].id } : {}) };
}
