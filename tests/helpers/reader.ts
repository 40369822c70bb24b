/** A reader as a script sees it: a real socket.io-client subscribed to a blog. */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck } from '../../shared/events';
import type { BlogEvent } from '../../shared/schemas';
import { waitFor } from './wait';

export type ReaderSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface TestReader {
  socket: ReaderSocket;
  /** Every `blog:event` received, in arrival order. */
  events: BlogEvent[];
  subscribe(blogId: string, cursor?: string): Promise<SubscribeAck>;
  /** Waits until `count` events have arrived in all. */
  waitForEvents(count: number, timeoutMs?: number): Promise<BlogEvent[]>;
  close(): void;
}

export async function connectReader(url: string, options: { reconnection?: boolean } = {}): Promise<TestReader> {
  const socket: ReaderSocket = io(url, { transports: ['websocket'], reconnection: options.reconnection ?? false, forceNew: true });
  const events: BlogEvent[] = [];
  socket.on('blog:event', (event) => events.push(event));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return {
    socket,
    events,
    subscribe: (blogId, cursor) =>
      socket.timeout(5_000).emitWithAck('blog:subscribe', cursor === undefined ? { blogId } : { blogId, cursor }),
    waitForEvents: async (count, timeoutMs = 5_000) => {
      await waitFor(() => events.length >= count, `${count} blog:event(s), got ${events.length}`, timeoutMs);
      return events.slice(0, count);
    },
    close: () => {
      socket.disconnect();
    },
  };
}
