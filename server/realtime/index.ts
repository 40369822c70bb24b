/** Socket.IO: one handler per client event, and the broadcast of stored events to each blog's room. */
import { blogRoom, SOCKET_EVENTS } from '../../shared/events';
import type { BlogEvent } from '../../shared/schemas';
import type { Logger } from '../logger';
import type { Timeline } from '../store/timeline';
import type { HandlerContext, LiveServer } from './context';
import { subscribe } from './subscribe';
import { unsubscribe } from './unsubscribe';

export function registerRealtime(io: LiveServer, deps: { timeline: Timeline; logger: Logger }): void {
  io.on('connection', (socket) => {
    const context: HandlerContext = { io, socket, ...deps };
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

/** Sends one stored event to every reader of its blog. Socket.IO encodes it once for the whole room. */
export function broadcaster(io: LiveServer): (event: BlogEvent) => void {
  return (event) => {
    io.to(blogRoom(event.blogId)).emit(SOCKET_EVENTS.event, event);
  };
}
