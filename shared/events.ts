/** Socket.IO event names and their payloads, typed once for server and clients. */
import type { ErrorBody } from './codes';
import type { BlogEvent, PendingUpdate, ReaderCount, SubscribePayload, UnsubscribePayload } from './schemas';

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
  /**
   * server → editors of a blog (room `editors:<blogId>`) and → the contributor whose entry it is (room
   * `person:<personId>`): an entry of the approval queue changed (`entry`: submitted, edited, rejected)
   * or left it (`removedId`: approved).
   */
  pending: 'blog:pending',
  /** client → server (editors only): this desk opened or closed an entry's edit form; sent again as a heartbeat. */
  editing: 'entry:editing',
  /** server → editors of a blog: who has an entry's edit form open now, on every process. */
  editors: 'entry:editors',
} as const;

export type SubscribeAck =
  { ok: true; cursor: string; events: BlogEvent[]; more?: boolean } | { ok: false; error: Pick<ErrorBody, 'code' | 'message'> };

export interface ClientToServerEvents {
  'blog:subscribe': (payload: SubscribePayload, ack: (answer: SubscribeAck) => void) => void;
  'blog:unsubscribe': (payload: UnsubscribePayload) => void;
  'entry:editing': (payload: EditingPayload, ack?: (answer: EditingAck) => void) => void;
}

export interface ServerToClientEvents {
  'blog:event': (event: BlogEvent) => void;
  'blog:readers': (count: ReaderCount) => void;
  'blog:head': (head: BlogHead) => void;
  'blog:pending': (change: PendingEvent) => void;
  'entry:editors': (editors: EntryEditors) => void;
}

/** `blog:pending`: an entry's new state, or the id of one that left the queue (approved). */
export type PendingEvent = { blogId: string; entry: PendingUpdate } | { blogId: string; removedId: string };

/** `entry:editing`: `editing: true` when the form opens and every HEARTBEAT (the server forgets a silent one), false when it closes. */
export interface EditingPayload {
  blogId: string;
  updateId: string;
  editing: boolean;
}

export type EditingAck = { ok: true } | { ok: false; error: Pick<ErrorBody, 'code' | 'message'> };

/** Someone editing: `id` is stable per person or token (`person:<id>`, `token:<id>`, `admin`). */
export interface Editor {
  id: string;
  name: string;
}

/** `entry:editors`: everyone with the entry's edit form open now (the receiver included). */
export interface EntryEditors {
  blogId: string;
  updateId: string;
  editors: Editor[];
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
/** The room a blog's editors join besides, for the reader count, the approval queue and who is editing. */
export const editorsRoom = (blogId: string): string => `editors:${blogId}`;
/** The room every connection of a signed-in person joins: their own entries' news. */
export const personRoom = (personId: string): string => `person:${personId}`;
/**
 * The room every connection with a principal joins (a token, the admin, a signed-in person): the
 * newsroom's own, never counted among a blog's readers, whatever it follows.
 */
export const NEWSROOM_ROOM = 'newsroom';

/** Socket.IO handshake `auth` of an editor's connection (readers send none). */
export interface SocketAuth {
  token?: string;
  /**
   * The iframe page's host site, as an origin (never a page's address): the figures count its readers
   * under that site (server/stats/sites.ts). Nothing else reads it.
   */
  site?: string;
}
