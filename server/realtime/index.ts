/** Socket.IO: one handler per client event, and the one path by which stored events reach readers. */
import { blogRoom, NEWSROOM_ROOM, personRoom, SOCKET_EVENTS } from '../../shared/events';
import type { BlogEvent } from '../../shared/schemas';
import type { Authenticator } from '../auth/principal';
import { authenticateSocket } from '../auth/socket';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { Change } from '../service/live-blogs';
import type { Timeline } from '../store/timeline';
import type { Bus } from './bus';
import type { HandlerContext, LiveServer } from './context';
import type { EditingPresence } from './editing';
import { limitEvents } from './event-limit';
import { Feeds } from './feeds';
import type { Presence } from './presence';
import { watchSlowReaders } from './slow-readers';
import { subscribe } from './subscribe';
import { unsubscribe } from './unsubscribe';

/** Registers the handlers; returns a function that stops the background checks. */
export function registerRealtime(
  io: LiveServer,
  deps: { feeds: Feeds; logger: Logger; authenticator: Authenticator; presence: Presence; metrics: Metrics; editing?: EditingPresence },
): () => void {
  io.use(authenticateSocket(deps.authenticator, deps.logger));
  io.on('connection', (socket) => {
    limitEvents(socket);
    const context: HandlerContext = {
      io,
      socket,
      feeds: deps.feeds,
      logger: deps.logger,
      presence: deps.presence,
      metrics: deps.metrics,
      ...(deps.editing ? { editing: deps.editing } : {}),
    };
    // A signed-in person hears of their own entries (approved, rejected) wherever they are connected.
    const principal = socket.data.principal;
    if (principal?.source === 'session') void socket.join(personRoom(principal.personId));
    // Nor is anyone with a principal one of the readers the editors count (presence.ts).
    if (principal) void socket.join(NEWSROOM_ROOM);
    const onSubscribe = subscribe(context);
    const onUnsubscribe = unsubscribe(context);
    // Handlers never throw: a failed one logs and answers its ack, so no payload can crash the process.
    socket.on(SOCKET_EVENTS.subscribe, (payload, ack) => {
      onSubscribe(payload, ack).catch((error: unknown) =>
        deps.logger.error({ err: error, socketId: socket.id }, 'subscribe handler failed'),
      );
    });
    socket.on(SOCKET_EVENTS.unsubscribe, (payload) => {
      onUnsubscribe(payload).catch((error: unknown) =>
        deps.logger.error({ err: error, socketId: socket.id }, 'unsubscribe handler failed'),
      );
    });
    const { editing } = deps;
    if (editing) {
      socket.on(SOCKET_EVENTS.editing, (payload, ack) => {
        const answer = editing.handle(socket, payload);
        if (typeof ack === 'function') ack(answer);
      });
      socket.on('disconnect', () => editing.dropSocket(socket.id));
    }
  });
  return watchSlowReaders(io, deps.logger);
}

export interface Delivery {
  feeds: Feeds;
  /** The one sink of this process's changes (see Change). */
  changed(change: Change): void;
  close(): void;
}

/** How long after a write of unknown outcome its blog's caches are dropped everywhere (it may have been kept). */
const UNCERTAIN_RECHECK_MS = 2_000;

/**
 * The one path of stored events, whoever stored them: to this process's readers (through the blog's
 * feed, once and in order), its page caches and metrics, and to the other processes over the bus.
 */
export function startDelivery(deps: {
  io: LiveServer;
  timeline: Timeline;
  bus: Bus;
  presence: Presence;
  logger: Logger;
  /** A blog's cached pages are stale. */
  invalidate(blogId: string): void;
  /** Every blog's cached pages may be stale. */
  invalidateAll(): void;
  published(event: BlogEvent, startedAt: bigint): void;
}): Delivery {
  const { io, bus } = deps;
  const feeds = new Feeds({
    timeline: deps.timeline,
    logger: deps.logger,
    // Socket.IO encodes an event once for the whole room.
    deliver: (event) => {
      deps.invalidate(event.blogId);
      io.to(blogRoom(event.blogId)).emit(SOCKET_EVENTS.event, event);
    },
    reset: (blogId, cursor) => {
      deps.invalidate(blogId);
      io.to(blogRoom(blogId)).emit(SOCKET_EVENTS.head, { blogId, cursor });
    },
    watched: (blogId) => deps.presence.watched(blogId),
  });
  // A followed blog's new events invalidate its pages as they are delivered (once each); the others here.
  const arrived = (event: BlogEvent) => {
    if (!feeds.offer(event)) deps.invalidate(event.blogId);
  };
  bus.onMessage((message, from) => {
    if (message.type === 'event') arrived(message.event);
    else if (message.type === 'blog') deps.invalidate(message.blogId);
    else if (message.type === 'presence') deps.presence.receive(from, message.counts);
  });
  bus.onResubscribed(() => {
    feeds.pollAll();
    deps.invalidateAll();
  });
  const timers = new Set<ReturnType<typeof setTimeout>>();
  return {
    feeds,
    changed: (change) => {
      if (change.kind === 'events') {
        for (const event of change.events) {
          arrived(event);
          deps.published(event, change.startedAt);
          bus.publish({ type: 'event', event });
        }
      } else if (change.kind === 'blog-created') {
        deps.invalidate(change.blogId);
        bus.publish({ type: 'blog', blogId: change.blogId });
      } else {
        // Readers learn of it from their feeds' reads; caches here and on every process are dropped.
        const timer = setTimeout(() => {
          timers.delete(timer);
          deps.invalidate(change.blogId);
          bus.publish({ type: 'blog', blogId: change.blogId });
        }, UNCERTAIN_RECHECK_MS);
        timer.unref();
        timers.add(timer);
      }
    },
    close: () => {
      feeds.close();
      for (const timer of timers) clearTimeout(timer);
    },
  };
}
