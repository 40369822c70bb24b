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
} as const;

export type SubscribeAck =
  | { ok: true; cursor: string; events: BlogEvent[]; more?: boolean }
  | { ok: false; error: Pick<ErrorBody, 'code' | 'message'> };

export interface ClientToServerEvents {
  'blog:subscribe': (payload: SubscribePayload, ack: (answer: SubscribeAck) => void) => void;
  'blog:unsubscribe': (payload: UnsubscribePayload) => void;
}

export interface ServerToClientEvents {
  'blog:event': (event: BlogEvent) => void;
  'blog:readers': (count: ReaderCount) => void;
}

/** The room a blog's subscribers join. */
export const blogRoom = (blogId: string): string => `blog:${blogId}`;
/** The room a blog's editors join besides, for the reader count. */
export const editorsRoom = (blogId: string): string => `editors:${blogId}`;

/** Socket.IO handshake `auth` of an editor's connection (readers send none). */
export interface SocketAuth {
  token?: string;
}
