/**
 * The widget's connection: the Socket.IO wire protocol (Engine.IO 4) over a plain WebSocket, with only
 * what a live feed uses — events, an emit with an ack and a deadline, the heartbeat, reconnection with
 * back-off. socket.io-client weighs about 8 KB gzipped, this under 1 KB: it is what keeps the one-tag
 * widget within its 20 KB budget. What it leaves out is long-polling: where WebSocket is blocked, the
 * widget shows what it loaded and "Reconnecting…" (the reader's page and the iframe page, on
 * socket.io-client, fall back to long-polling).
 *
 * Frames: the server opens with `0{…,"pingInterval":…,"pingTimeout":…}`; we join the default namespace
 * with `40`, answered `40{…}`; it pings with `2`, we answer `3`; `42<id>["event",payload]` is an emit
 * whose ack comes back as `43<id>[answer]`; the server's events arrive as `42["event",payload]`.
 * `41`, `44` (the namespace refused us) or `1` (the server closes) end the connection: we start over.
 */
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck } from '../../shared/events';
import type { SubscribePayload } from '../../shared/schemas';
import { Backoff } from '../lib/backoff';
import type { FeedSocket } from '../lib/live-feed';

type Listener = (...args: never[]) => void;
/** As socket.io-client calls it: an error and no answer, or null and the answer. */
type Ack = (error: Error | null, answer: SubscribeAck) => void;

export class WireSocket implements FeedSocket {
  connected = false;
  readonly #url: string;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #acks = new Map<number, (answer: unknown) => void>();
  /** Like socket.io-client's reconnection: from 1 s, doubling to at most 5 s, ± half at random. */
  readonly #backoff = new Backoff(1_000, 5_000);
  #ws: WebSocket | undefined;
  #nextAck = 0;
  #heartbeat: ReturnType<typeof setTimeout> | undefined;
  #deadAfterMs = 45_000;

  constructor(origin: string) {
    this.#url = `${origin.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    this.#open();
  }

  on(event: keyof ServerToClientEvents | 'connect' | 'disconnect', listener: Listener): this {
    if (!this.#listeners.has(event)) this.#listeners.set(event, new Set());
    this.#listeners.get(event)!.add(listener);
    return this;
  }

  off(event: keyof ServerToClientEvents | 'connect' | 'disconnect', listener: Listener): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  emit(event: keyof ClientToServerEvents, payload: unknown): this {
    this.#send(`42${JSON.stringify([event, payload])}`);
    return this;
  }

  /** An emit whose ack must come within `ms`, or the callback gets an error (as socket.io-client's `timeout()`). */
  timeout(ms: number): { emit(event: 'blog:subscribe', payload: SubscribePayload, ack: Ack): void } {
    return {
      emit: (event, payload, ack) => {
        const id = this.#nextAck++;
        const timer = setTimeout(() => {
          this.#acks.delete(id);
          (ack as (error: Error) => void)(new Error('no answer in time'));
        }, ms);
        this.#acks.set(id, (answer) => {
          clearTimeout(timer);
          ack(null, answer as SubscribeAck);
        });
        this.#send(`42${id}${JSON.stringify([event, payload])}`);
      },
    };
  }

  #send(frame: string): void {
    if (this.connected) this.#ws!.send(frame);
  }

  #fire(event: string, ...args: unknown[]): void {
    this.#listeners.get(event)?.forEach((listener) => (listener as (...values: unknown[]) => void)(...args));
  }

  #open(): void {
    let ws: WebSocket;
    try {
      ws = this.#ws = new WebSocket(this.#url);
    } catch (error) {
      // Older browsers throw here when the host page's CSP forbids the connection: try again later.
      console.warn('[liveblog] could not open a WebSocket', error);
      setTimeout(() => this.#open(), this.#backoff.next());
      return;
    }
    ws.onmessage = ({ data }) => this.#onFrame(ws, String(data));
    ws.onclose = () => {
      clearTimeout(this.#heartbeat);
      if (this.connected) {
        this.connected = false;
        this.#fire('disconnect');
      }
      setTimeout(() => this.#open(), this.#backoff.next());
    };
  }

  /** A server silent for longer than its ping interval and timeout is gone: close, and reconnect. */
  #alive(ws: WebSocket): void {
    clearTimeout(this.#heartbeat);
    this.#heartbeat = setTimeout(() => ws.close(), this.#deadAfterMs);
  }

  #onFrame(ws: WebSocket, frame: string): void {
    const type = frame.slice(0, 2);
    if (frame[0] === '0') {
      const { pingInterval, pingTimeout } = JSON.parse(frame.slice(1)) as { pingInterval: number; pingTimeout: number };
      this.#deadAfterMs = pingInterval + pingTimeout;
      this.#alive(ws);
      ws.send('40');
    } else if (frame === '2') {
      this.#alive(ws);
      ws.send('3');
    } else if (type === '40') {
      this.connected = true;
      this.#backoff.reset();
      this.#fire('connect');
    } else if (type === '42') {
      const [event, ...args] = JSON.parse(frame.slice(frame.indexOf('['))) as [string, ...unknown[]];
      this.#fire(event, ...args);
    } else if (type === '43') {
      const open = frame.indexOf('[');
      const id = Number(frame.slice(2, open));
      const resolve = this.#acks.get(id);
      this.#acks.delete(id);
      resolve?.((JSON.parse(frame.slice(open)) as unknown[])[0]);
    } else if (type === '41' || type === '44' || frame[0] === '1') {
      ws.close();
    }
  }
}
