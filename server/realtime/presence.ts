/**
 * How many readers watch each blog, across every process, for its editors.
 *
 * Each process counts its own readers from its rooms (a blog's room, less the newsroom's connections in
 * it: editors, and contributors who follow the blog as readers do) and,
 * every interval, tells the other processes its counts (over the bus, bus.ts). Each process adds the others' latest counts to its own; a process that stops reporting
 * is forgotten after a few intervals. Changed totals go to the blog's editors on this process, at
 * most once per interval, so a crowd arriving costs one message per interval, not one per reader.
 */
import { blogRoom, editorsRoom, NEWSROOM_ROOM, roomBlog, SOCKET_EVENTS } from '../../shared/events';
import type { Bus } from './bus';
import type { LiveServer } from './context';

/** How often counts are shared and changed totals sent. */
export const PRESENCE_INTERVAL_MS = 2_000;
/** A process whose counts are older than this is taken to be gone. */
const STALE_AFTER_MS = PRESENCE_INTERVAL_MS * 4;

interface Report {
  counts: Map<string, number>;
  at: number;
}

export class Presence {
  private readonly remote = new Map<string, Report>();
  private readonly sent = new Map<string, number>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly io: LiveServer,
    private readonly bus: Bus,
  ) {
    this.timer = setInterval(() => this.tick(), PRESENCE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Called with another process's report. */
  receive(processId: string, counts: Record<string, number>): void {
    this.remote.set(processId, { counts: new Map(Object.entries(counts)), at: Date.now() });
  }

  /** Whether this process has anyone in the blog's room. */
  watched(blogId: string): boolean {
    return this.io.of('/').adapter.rooms.has(blogRoom(blogId));
  }

  /** Readers of a blog on this process. */
  localReaders(blogId: string): number {
    const rooms = this.io.of('/').adapter.rooms;
    const followers = rooms.get(blogRoom(blogId));
    if (!followers) return 0;
    // The newsroom's connections on a process are few: count those following this blog.
    let newsroom = 0;
    for (const socketId of rooms.get(NEWSROOM_ROOM) ?? []) if (followers.has(socketId)) newsroom += 1;
    return followers.size - newsroom;
  }

  /** Readers of a blog on every process. */
  readers(blogId: string): number {
    let total = this.localReaders(blogId);
    const fresh = Date.now() - STALE_AFTER_MS;
    for (const report of this.remote.values()) if (report.at >= fresh) total += report.counts.get(blogId) ?? 0;
    return total;
  }

  /** Every blog with readers on this process, with their counts. */
  localCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const room of this.io.of('/').adapter.rooms.keys()) {
      const blogId = roomBlog(room);
      if (blogId === null) continue;
      const readers = this.localReaders(blogId);
      if (readers > 0) counts.set(blogId, readers);
    }
    return counts;
  }

  /** Shares this process's counts, forgets silent processes, and tells editors of changed totals. */
  tick(): void {
    const local = this.localCounts();
    if (this.bus.shared) this.bus.publish({ type: 'presence', counts: Object.fromEntries(local) });
    const stale = Date.now() - STALE_AFTER_MS;
    for (const [processId, report] of this.remote) if (report.at < stale) this.remote.delete(processId);

    const blogs = new Set<string>([...local.keys(), ...this.sent.keys()]);
    for (const report of this.remote.values()) for (const blogId of report.counts.keys()) blogs.add(blogId);
    const rooms = this.io.of('/').adapter.rooms;
    for (const blogId of blogs) {
      const readers = this.readers(blogId);
      if (this.sent.get(blogId) === readers) continue;
      if (readers === 0) this.sent.delete(blogId);
      else this.sent.set(blogId, readers);
      // Each process tells its own editors: the total is the same everywhere.
      if (rooms.has(editorsRoom(blogId))) this.io.local.to(editorsRoom(blogId)).emit(SOCKET_EVENTS.readers, { blogId, readers });
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
