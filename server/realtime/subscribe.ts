/**
 * `blog:subscribe`: join the blog's room first, then read the events after the reader's cursor (from
 * this process's feed of the blog, see feeds.ts). An event published in between is both in the ack and
 * sent live; the reader drops the second by cursor. Reading first and joining after would lose it instead.
 */
import { ERROR_CODES } from '../../shared/codes';
import { blogRoom, editorsRoom, roomBlog, SOCKET_EVENTS, type SubscribeAck } from '../../shared/events';
import { can } from '../../shared/permissions';
import { LIMITS } from '../../shared/limits';
import { SubscribeSchema } from '../../shared/schemas';
import { TimelineError } from '../store/timeline';
import { MAX_SUBSCRIPTIONS_PER_SOCKET, type HandlerContext } from './context';
import { dropIfSlow } from './slow-readers';

export const subscribe =
  ({ socket, feeds, logger, presence, metrics, editing }: HandlerContext) =>
  async (payload: unknown, ack: unknown): Promise<void> => {
    const reply = (answer: SubscribeAck) => {
      if (typeof ack === 'function') ack(answer);
    };
    const parsed = SubscribeSchema.safeParse(payload);
    if (!parsed.success) {
      reply({ ok: false, error: { code: ERROR_CODES.invalid, message: 'send { blogId, cursor? } with a valid blog id and cursor' } });
      return;
    }
    const { blogId, cursor } = parsed.data;
    const room = blogRoom(blogId);
    if (!socket.rooms.has(room) && subscriptionCount(socket.rooms) >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
      reply({
        ok: false,
        error: { code: ERROR_CODES.invalid, message: `one connection follows at most ${MAX_SUBSCRIPTIONS_PER_SOCKET} blogs` },
      });
      return;
    }
    // One that has not taken its earlier answers gets no more: it is dropped, and resumes by cursor.
    if (dropIfSlow(socket, logger)) return;
    await socket.join(room);
    try {
      const page = await feeds.catchUp(blogId, cursor, LIMITS.catchUpMax, LIMITS.catchUpBytes);
      reply({ ok: true, cursor: page.cursor, events: page.events, ...(page.more ? { more: true } : {}) });
      if (cursor) metrics.catchUp.observe(page.events.length);
      const principal = socket.data.principal;
      // The editors' room (reader counts, the approval queue, who edits what) is for editors of the blog
      // alone: a contributor's connection follows the blog as a reader does.
      if (principal && can(principal, 'edit', blogId)) {
        await socket.join(editorsRoom(blogId));
        socket.emit(SOCKET_EVENTS.readers, { blogId, readers: presence.readers(blogId) });
        for (const entry of editing?.current(blogId) ?? []) socket.emit(SOCKET_EVENTS.editors, { blogId, ...entry });
      }
    } catch (error) {
      await socket.leave(room);
      await socket.leave(editorsRoom(blogId));
      if (error instanceof TimelineError && error.kind !== 'unavailable') {
        const code = error.kind === 'cursor_expired' ? ERROR_CODES.cursorExpired : ERROR_CODES.notFound;
        reply({ ok: false, error: { code, message: error.message } });
        return;
      }
      logger.error({ err: error, blogId, socketId: socket.id }, 'subscribe failed');
      metrics.redisErrors.inc();
      reply({ ok: false, error: { code: ERROR_CODES.storeUnavailable, message: 'the store is unreachable: try again shortly' } });
    }
  };

function subscriptionCount(rooms: Set<string>): number {
  let count = 0;
  for (const room of rooms) if (roomBlog(room) !== null) count += 1;
  return count;
}
