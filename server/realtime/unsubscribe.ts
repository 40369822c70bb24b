/** `blog:unsubscribe`: leave the blog's room. Garbage is ignored: there is no ack to answer it with. */
import { blogRoom } from '../../shared/events';
import { UnsubscribeSchema } from '../../shared/schemas';
import type { HandlerContext } from './context';

export const unsubscribe =
  ({ socket }: HandlerContext) =>
  async (payload: unknown): Promise<void> => {
    const parsed = UnsubscribeSchema.safeParse(payload);
    if (parsed.success) await socket.leave(blogRoom(parsed.data.blogId));
  };
