import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/events';
import type { Principal } from '../http/auth';
import type { Logger } from '../logger';
import type { Presence } from './presence';
import type { Timeline } from '../store/timeline';

/** What the server keeps on each connection. */
export interface SocketData {
  /** Set when the connection authenticated with an editor or admin token. */
  principal?: Principal;
}

export type LiveServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** What each socket event handler is built from. */
export interface HandlerContext {
  io: LiveServer;
  socket: LiveSocket;
  timeline: Timeline;
  logger: Logger;
  presence: Presence;
}

/** Blogs one connection may follow at once (a page with several widgets shares one connection). */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 20;
