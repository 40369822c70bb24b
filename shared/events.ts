/** Socket.IO event names and their payloads, typed once for server and clients. */
import type { ErrorBody } from './codes';
import type { BlogEvent, ReaderCount, SubscribePayload, UnsubscribePayload } from './schemas';

export const SOCKET_EVENTS = {
  /** client → server: start (or resume from `cursor`) receiving a blog's events. */
  subscribe: 'blog:subscribe',
  /** client → server: stop receiving a blog's events. */
  unsubscribe: 'blog:unsubscribe',
  /** server → client: one event of a subscribed blog, in cursor order. */
  event: 'blog:event',
  /** server → editors of a blog: how many readers are watching it, when that changes. */
  readers: 'blog:readers',
  /**
   * server → subscribers of a blog: its latest cursor, sent when the server found that the blog's log
   * changed under it (the store lost its tail in a failover): a client whose cursor differs subscribes
   * again with it and learns whether it holds events the blog no longer has.
   */
  head: 'blog:head',
} as const;

export type SubscribeAck =
  { ok: true; cursor: string; events: BlogEvent[]; more?: boolean } | { ok: false; error: Pick<ErrorBody, 'code' | 'message'> };

export interface ClientToServerEvents {
  'blog:subscribe': (payload: SubscribePayload, ack: (answer: SubscribeAck) => void) => void;
  'blog:unsubscribe': (payload: UnsubscribePayload) => void;
}

export interface ServerToClientEvents {
  'blog:event': (event: BlogEvent) => void;
  'blog:readers': (count: ReaderCount) => void;
  'blog:head': (head: BlogHead) => void;
}

export interface BlogHead {
  blogId: string;
  cursor: string;
}

const BLOG_ROOM_PREFIX = 'blog:';
/** The room a blog's subscribers join. */
export const blogRoom = (blogId: string): string => `${BLOG_ROOM_PREFIX}${blogId}`;
/** The blog whose subscribers' room this is, or null for another room. */
export const roomBlog = (room: string): string | null => (room.startsWith(BLOG_ROOM_PREFIX) ? room.slice(BLOG_ROOM_PREFIX.length) : null);
/** The room a blog's editors join besides, for the reader count. */
export const editorsRoom = (blogId: string): string => `editors:${blogId}`;

/** Socket.IO handshake `auth` of an editor's connection (readers send none). */
export interface SocketAuth {
  token?: string;
}
