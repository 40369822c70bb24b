import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/events';
import type { Principal } from '../auth/principal';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { EditingPresence } from './editing';
import type { Feeds } from './feeds';
import type { Presence } from './presence';

/** What the server keeps on each connection. */
export interface SocketData {
  /** Set when the connection authenticated with an editor or admin token. */
  principal?: Principal;
}

/** Processes talk to each other over the bus (bus.ts), not through Socket.IO. */
type NoInterServerEvents = Record<string, never>;

export type LiveServer = Server<ClientToServerEvents, ServerToClientEvents, NoInterServerEvents, SocketData>;
export type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, NoInterServerEvents, SocketData>;

/** What each socket event handler is built from. */
export interface HandlerContext {
  io: LiveServer;
  socket: LiveSocket;
  feeds: Feeds;
  logger: Logger;
  presence: Presence;
  metrics: Metrics;
  /** Who edits which entry (editing.ts). */
  editing?: EditingPresence;
}

/** Blogs one connection may follow at once (a page with several widgets shares one connection). */
export const MAX_SUBSCRIPTIONS_PER_SOCKET = 20;
