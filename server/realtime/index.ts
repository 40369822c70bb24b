/** Socket.IO: one handler per client event, and the broadcast of stored events to each blog's room. */
import { blogRoom, SOCKET_EVENTS, type SocketAuth } from '../../shared/events';
import type { Authenticator } from '../http/auth';
import type { BlogEvent } from '../../shared/schemas';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Timeline } from '../store/timeline';
import type { HandlerContext, LiveServer } from './context';
import { PRESENCE_EVENT, type Presence } from './presence';
import { limitEvents } from './event-limit';
import { subscribe } from './subscribe';
import { unsubscribe } from './unsubscribe';

export function registerRealtime(io: LiveServer, deps: { timeline: Timeline; logger: Logger; authenticator: Authenticator; presence: Presence; metrics: Metrics }): void {
  // Editors' pages connect with their token (handshake `auth.token`), readers with none.
  io.use((socket, next) => {
    const { token } = (socket.handshake.auth ?? {}) as SocketAuth;
    if (token === undefined) return next();
    deps.authenticator
      .authenticate(String(token))
      .then((principal) => {
        if (!principal) return next(new Error('unknown or revoked token'));
        socket.data.principal = principal;
        next();
      })
      .catch((error: unknown) => {
        deps.logger.error({ err: error, socketId: socket.id }, 'socket authentication failed');
        next(new Error('the store is unreachable: try again shortly'));
      });
  });
  io.on(PRESENCE_EVENT, (processId, counts) => deps.presence.receive(processId, counts));
  io.on('connection', (socket) => {
    limitEvents(socket);
    const context: HandlerContext = { io, socket, timeline: deps.timeline, logger: deps.logger, presence: deps.presence, metrics: deps.metrics };
    const onSubscribe = subscribe(context);
    const onUnsubscribe = unsubscribe(context);
    // Handlers never throw: a failed one logs and answers its ack, so no payload can crash the process.
    socket.on(SOCKET_EVENTS.subscribe, (payload, ack) => {
      onSubscribe(payload, ack).catch((error: unknown) => deps.logger.error({ err: error, socketId: socket.id }, 'subscribe handler failed'));
    });
    socket.on(SOCKET_EVENTS.unsubscribe, (payload) => {
      onUnsubscribe(payload).catch((error: unknown) => deps.logger.error({ err: error, socketId: socket.id }, 'unsubscribe handler failed'));
    });
  });
}

/**
 * Sends one stored event to every reader of its blog: this process's readers at once (Socket.IO encodes
 * it once for the whole room), the other processes' through the adapter, where each does the same for
 * its own readers. (A plain `io.to(room).emit` would wait for the adapter's Redis write before
 * delivering even locally.)
 */
export function broadcaster(io: LiveServer, clustered: boolean): (event: BlogEvent) => void {
  return (event) => {
    io.local.to(blogRoom(event.blogId)).emit(SOCKET_EVENTS.event, event);
    if (clustered) io.serverSideEmit('blog:event', event);
  };
}

/** Delivers to this process's readers the events published on the other processes. */
export function relayRemoteEvents(io: LiveServer, onEvent: (event: BlogEvent) => void): void {
  io.on('blog:event', (event) => {
    io.local.to(blogRoom(event.blogId)).emit(SOCKET_EVENTS.event, event);
    onEvent(event);
  });
}
