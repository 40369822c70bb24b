import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/events';
import type { BlogEvent } from '../../shared/schemas';
import type { Principal } from '../http/auth';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Presence } from './presence';
import type { Timeline } from '../store/timeline';

/** What the server keeps on each connection. */
export interface SocketData {
  /** Set when the connection authenticated with an editor or admin token. */
  principal?: Principal;
}

/** What server processes tell each other through the adapter. */
export interface InterServerEvents {
  /** One process's reader counts by blog (see Presence). */
  'presence:counts': (processId: string, counts: Record<string, number>) => void;
  /** A blog changed: its cached pages are stale on every process. */
  'blog:changed': (blogId: string) => void;
  /** An event stored by one process, for the readers connected to the others. */
  'blog:event': (event: BlogEvent) => void;
}

export type LiveServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** What each socket event handler is built from. */
export interface HandlerContext {
  io: LiveServer;
  socket: LiveSocket;
  timeline: Timeline;
  logger: Logger;
  presence: Presence;
  metrics: Metrics;
}

/** Blogs one connection may follow at once (a page with several widgets shares one connection). */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 20;
