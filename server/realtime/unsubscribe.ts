/** `blog:unsubscribe`: leave the blog's room. Garbage is ignored: there is no ack to answer it with. */
import { blogRoom, editorsRoom } from '../../shared/events';
import { UnsubscribeSchema } from '../../shared/schemas';
import type { HandlerContext } from './context';

export const unsubscribe =
  ({ socket }: HandlerContext) =>
  async (payload: unknown): Promise<void> => {
    const parsed = UnsubscribeSchema.safeParse(payload);
    if (!parsed.success) return;
    await socket.leave(blogRoom(parsed.data.blogId));
    await socket.leave(editorsRoom(parsed.data.blogId));
  };
