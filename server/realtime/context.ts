import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/events';
import type { Logger } from '../logger';
import type { Timeline } from '../store/timeline';

export type LiveServer = Server<ClientToServerEvents, ServerToClientEvents>;
export type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** What each socket event handler is built from. */
export interface HandlerContext {
  io: LiveServer;
  socket: LiveSocket;
  timeline: Timeline;
  logger: Logger;
}

/** Blogs one connection may follow at once (a page with several widgets shares one connection). */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 20;
