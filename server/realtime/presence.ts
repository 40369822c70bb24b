/**
 * How many readers watch each blog, for its editors. Counted from this process's rooms (readers in the
 * blog's room, less the editors, who are in its editors' room too), and sent to the editors' room at
 * most once per interval, only when it changed, so a crowd arriving costs one message per interval.
 */
import { blogRoom, editorsRoom, SOCKET_EVENTS } from '../../shared/events';
import type { LiveServer } from './context';

/** How often changed counts are sent. */
export const PRESENCE_INTERVAL_MS = 2_000;

export class Presence {
  private readonly changed = new Set<string>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly io: LiveServer) {
    const adapter = io.of('/').adapter;
    const onRoomChange = (room: string) => {
      const blogId = blogIdOf(room);
      if (blogId) this.changed.add(blogId);
    };
    adapter.on('join-room', onRoomChange);
    adapter.on('leave-room', onRoomChange);
    this.timer = setInterval(() => this.flush(), PRESENCE_INTERVAL_MS);
    this.timer.unref();
  }

  readers(blogId: string): number {
    const rooms = this.io.of('/').adapter.rooms;
    return (rooms.get(blogRoom(blogId))?.size ?? 0) - (rooms.get(editorsRoom(blogId))?.size ?? 0);
  }

  flush(): void {
    for (const blogId of this.changed) {
      this.io.to(editorsRoom(blogId)).emit(SOCKET_EVENTS.readers, { blogId, readers: this.readers(blogId) });
    }
    this.changed.clear();
  }

  close(): void {
    clearInterval(this.timer);
  }
}

function blogIdOf(room: string): string | null {
  if (room.startsWith('blog:')) return room.slice('blog:'.length);
  if (room.startsWith('editors:')) return room.slice('editors:'.length);
  return null;
}
