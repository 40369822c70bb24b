/**
 * One blog's events, each exactly once and in order, across reconnects: the client half of the
 * delivery guarantee. It remembers the cursor of the last event it handed on; on every (re)connect it
 * subscribes with that cursor, and the ack carries everything missed. Live events that arrive while
 * the ack is awaited are held, then everything is filtered by cursor, so nothing is shown twice. An
 * event whose `prev` is not our cursor means one went missing in between: we subscribe again to get it.
 * An event at a position we passed that is not the event we saw there, or a `blog:head` naming another
 * cursor than ours, means the server's history changed under us (a failover lost its tail): we subscribe
 * again, and the server answers `cursor_expired` if what we show no longer exists.
 */
import type { Socket } from 'socket.io-client';
import { ERROR_CODES } from '../../shared/codes';
import { isAfter, sameEpoch } from '../../shared/cursor';
import { SOCKET_EVENTS, type BlogHead, type ClientToServerEvents, type ServerToClientEvents, type SubscribeAck } from '../../shared/events';
import type { BlogEvent, SubscribePayload, UnsubscribePayload } from '../../shared/schemas';
import { Backoff } from './backoff';
import { debug } from './debug';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What a feed needs of its connection: socket.io-client's socket, or the widget's own WireSocket. */
export interface FeedSocket {
  readonly connected: boolean;
  on(event: 'blog:event', listener: (event: BlogEvent) => void): unknown;
  on(event: 'blog:head', listener: (head: BlogHead) => void): unknown;
  on(event: 'connect' | 'disconnect', listener: () => void): unknown;
  off(event: 'blog:event', listener: (event: BlogEvent) => void): unknown;
  off(event: 'blog:head', listener: (head: BlogHead) => void): unknown;
  off(event: 'connect' | 'disconnect', listener: () => void): unknown;
  emit(event: 'blog:unsubscribe', payload: UnsubscribePayload): unknown;
  timeout(ms: number): {
    emit(event: 'blog:subscribe', payload: SubscribePayload, ack: (error: Error | null, answer: SubscribeAck) => void): unknown;
  };
}
export type FeedStatus = 'connecting' | 'live' | 'reconnecting';

export interface FeedHandlers {
  /** Events not seen before, in cursor order. */
  onEvents(events: BlogEvent[]): void;
  /** The connection's state, for a discreet indicator. */
  onStatus?(status: FeedStatus): void;
  /** The server's history no longer reaches back to our cursor, or the blog is gone: reload the list. */
  onExpired?(reason: string): void;
}

/** How long a subscribe may wait for its ack before it is sent again. */
const ACK_TIMEOUT_MS = 10_000;
/** Cursors of the events handed on last, to recognise a copy of one of them. */
const REMEMBERED_CURSORS = 64;

export class LiveFeed {
  #syncing = false;
  #held: BlogEvent[] = [];
  #stopped = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Spaces the attempts while the server cannot answer (no ack in time, its store unavailable). */
  readonly #backoff = new Backoff();
  readonly #handedOn: string[] = [];

  readonly #socket: FeedSocket;
  #cursor: string;
  readonly #handlers: FeedHandlers;

  constructor(
    socket: FeedSocket,
    readonly blogId: string,
    cursor: string,
    handlers: FeedHandlers,
  ) {
    this.#socket = socket;
    this.#cursor = cursor;
    this.#handlers = handlers;
    socket.on(SOCKET_EVENTS.event, this.#onEvent);
    socket.on(SOCKET_EVENTS.head, this.#onHead);
    socket.on('connect', this.sync);
    socket.on('disconnect', this.#onDisconnect);
    handlers.onStatus?.('connecting');
    if (socket.connected) this.sync();
  }

  /** Starts again from `cursor` (after the list was reloaded). */
  reset(cursor: string): void {
    this.#cursor = cursor;
    this.#held = [];
    this.sync();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#socket.off(SOCKET_EVENTS.event, this.#onEvent);
    this.#socket.off(SOCKET_EVENTS.head, this.#onHead);
    this.#socket.off('connect', this.sync);
    this.#socket.off('disconnect', this.#onDisconnect);
    if (this.#socket.connected) this.#socket.emit(SOCKET_EVENTS.unsubscribe, { blogId: this.blogId });
  }

  /** Subscribes from our cursor: the ack brings every event we missed. */
  readonly sync = (): void => {
    if (this.#stopped || !this.#socket.connected) return;
    clearTimeout(this.#retryTimer);
    this.#syncing = true;
    debug('subscribe', this.blogId, this.#cursor);
    this.#socket
      .timeout(ACK_TIMEOUT_MS)
      .emit(SOCKET_EVENTS.subscribe, { blogId: this.blogId, cursor: this.#cursor }, (error: Error | null, ack: SubscribeAck) => {
        if (this.#stopped) return;
        if (error || (!ack.ok && ack.error.code === ERROR_CODES.storeUnavailable)) {
          // No answer in time, or the server could not read its store: ask again, later each time.
          this.#retryTimer = setTimeout(this.sync, this.#backoff.next());
          return;
        }
        if (!ack.ok) {
          this.#syncing = false;
          // Our history is gone, or the blog: reload. Anything else (`invalid`) would be refused again.
          if (ack.error.code === ERROR_CODES.cursorExpired || ack.error.code === ERROR_CODES.notFound)
            this.#handlers.onExpired?.(ack.error.message);
          else debug('subscribe refused for good', ack.error.code, ack.error.message);
          return;
        }
        this.#backoff.reset();
        this.#syncing = false;
        const held = this.#held;
        this.#held = [];
        this.#accept([...ack.events, ...held]);
        this.#handlers.onStatus?.('live');
        if (ack.more) this.sync();
      });
  };

  readonly #onEvent = (event: BlogEvent): void => {
    if (event.blogId !== this.blogId) return;
    if (this.#syncing) this.#held.push(event);
    else this.#accept([event]);
  };

  readonly #onHead = (head: BlogHead): void => {
    if (head.blogId === this.blogId && head.cursor !== this.#cursor && !this.#syncing) this.sync();
  };

  readonly #onDisconnect = (): void => {
    if (!this.#stopped) this.#handlers.onStatus?.('reconnecting');
  };

  #accept(events: BlogEvent[]): void {
    const fresh: BlogEvent[] = [];
    for (const event of events) {
      if (!sameEpoch(event.cursor, this.#cursor)) {
        this.#handlers.onExpired?.('the blog’s history was rebuilt');
        return;
      }
      if (!isAfter(event.cursor, this.#cursor)) {
        if (event.cursor === this.#cursor || this.#handedOn.includes(event.cursor)) continue; // already handed on
        debug('another event at a position already passed', event.cursor, 'at', this.#cursor);
        this.sync();
        break;
      }
      if (event.prev !== this.#cursor) {
        debug('gap before', event.cursor, 'at', this.#cursor);
        this.sync();
        break;
      }
      fresh.push(event);
      this.#cursor = event.cursor;
      this.#handedOn.push(event.cursor);
      if (this.#handedOn.length > REMEMBERED_CURSORS) this.#handedOn.shift();
    }
    if (fresh.length) this.#handlers.onEvents(fresh);
  }
}
