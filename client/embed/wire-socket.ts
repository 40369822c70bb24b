/**
 * The widget's connection: the Socket.IO wire protocol (Engine.IO 4) over a plain WebSocket, with only
 * what a live feed uses — events, an emit with an ack and a deadline, the heartbeat, reconnection with
 * back-off — and Engine.IO's long-polling where WebSocket is blocked. socket.io-client weighs about
 * 8 KB gzipped, this about 1 KB: it is what keeps the one-tag widget within its 20 KB budget. Written
 * by hand for that reason alone; the reader's page and the iframe page use socket.io-client.
 *
 * Frames: the server opens with `0{"sid":…,"pingInterval":…,"pingTimeout":…}`; we join the default
 * namespace with `40`, answered `40{…}`; it pings with `2`, we answer `3`; `42<id>["event",payload]` is
 * an emit whose ack comes back as `43<id>[answer]`; the server's events arrive as `42["event",payload]`.
 * `41`, `44` (the namespace refused us) or `1` (the server closes) end the connection: we start over.
 * Long-polling carries the same frames: a GET waits for the server's (several joined by U+001E), a POST
 * sends ours; the handshake's `sid` names the session in both.
 */
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck } from '../../shared/events';
import type { SubscribePayload } from '../../shared/schemas';
import { Backoff } from '../lib/backoff';
import type { FeedSocket } from '../lib/live-feed';

type Listener = (...args: never[]) => void;
/** One connection's way of carrying frames: a WebSocket, or a long-polling session. */
interface Wire {
  send(frame: string): void;
  close(): void;
}

/** WebSocket attempts that never opened, in a row, after which the widget long-polls instead. */
const WEBSOCKET_ATTEMPTS = 2;
/** As socket.io-client calls it: an error and no answer, or null and the answer. */
type Ack = (error: Error | null, answer: SubscribeAck) => void;

export class WireSocket implements FeedSocket {
  connected = false;
  readonly #url: string;
  #webSocketFailures = 0;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #acks = new Map<number, (answer: unknown) => void>();
  /** Like socket.io-client's reconnection: from 1 s, doubling to at most 5 s, ± half at random. */
  readonly #backoff = new Backoff(1_000, 5_000);
  #wire: Wire | undefined;
  #nextAck = 0;
  #heartbeat: ReturnType<typeof setTimeout> | undefined;
  /** The next attempt, while one is waited for (none while an attempt is under way). */
  #reopen: ReturnType<typeof setTimeout> | undefined;
  #deadAfterMs = 45_000;

  constructor(origin: string) {
    this.#url = `${origin}/socket.io/?EIO=4&transport=`;
    this.#open();
    // A WebSocket does not notice the network going until the heartbeat fails (45 s): say so at once,
    // and when it is back, connect at once rather than after the back-off.
    addEventListener('offline', () => {
      const wire = this.#wire;
      if (!wire) return;
      // A WebSocket's close handshake would wait for the network: this wire is dropped now.
      this.#wire = undefined;
      wire.close();
      this.#lost();
    });
    addEventListener('online', () => {
      if (this.connected || this.#reopen === undefined) return;
      clearTimeout(this.#reopen);
      this.#backoff.reset();
      this.#open();
    });
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
    if (this.connected) this.#wire!.send(frame);
  }

  #fire(event: string, ...args: unknown[]): void {
    this.#listeners.get(event)?.forEach((listener) => (listener as (...values: unknown[]) => void)(...args));
  }

  #open(): void {
    this.#reopen = undefined;
    if (this.#webSocketFailures < WEBSOCKET_ATTEMPTS) this.#openWebSocket();
    else void this.#poll();
  }

  /** The connection ended (or never began): the feed hears of it, and a new one is tried after a while. */
  #lost(): void {
    clearTimeout(this.#heartbeat);
    if (this.connected) {
      this.connected = false;
      this.#fire('disconnect');
    }
    clearTimeout(this.#reopen);
    this.#reopen = setTimeout(() => this.#open(), this.#backoff.next());
  }

  #openWebSocket(): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${this.#url.replace(/^http/, 'ws')}websocket`);
    } catch (error) {
      // Older browsers throw here when the host page's CSP forbids the connection.
      console.warn('[liveblog] could not open a WebSocket', error);
      this.#webSocketFailures++;
      this.#lost();
      return;
    }
    let opened = false;
    this.#wire = ws;
    ws.onmessage = ({ data }) => {
      if (this.#wire !== ws) return;
      opened = true;
      this.#webSocketFailures = 0;
      this.#onFrame(ws, String(data));
    };
    const ended = () => {
      if (this.#wire !== ws) return;
      this.#wire = undefined;
      if (!opened) this.#webSocketFailures++;
      this.#lost();
    };
    ws.onclose = ended;
    // A WebSocket the host page's CSP blocks (connect-src without the service's ws:/wss: origin) fires
    // `error` and never `close` in Chromium: without this the widget would wait for it for ever.
    ws.onerror = ended;
  }

  /** One long-polling session, from its handshake until the server or the heartbeat ends it. */
  async #poll(): Promise<void> {
    const abort = new AbortController();
    let sid = '';
    const url = () => `${this.#url}polling&t=${Date.now().toString(36)}${sid && `&sid=${sid}`}`;
    const wire: Wire = {
      send: (frame) => {
        fetch(url(), { method: 'POST', body: frame, signal: abort.signal }).catch(() => abort.abort());
      },
      close: () => abort.abort(),
    };
    this.#wire = wire;
    try {
      while (!abort.signal.aborted) {
        const response = await fetch(url(), { signal: abort.signal, cache: 'no-store' });
        if (!response.ok) break;
        for (const frame of (await response.text()).split('\x1e')) {
          if (frame[0] === '0') sid = (JSON.parse(frame.slice(1)) as { sid: string }).sid;
          this.#onFrame(wire, frame);
        }
      }
    } catch {
      // aborted, or the network failed: either way this session is over
    }
    abort.abort();
    if (this.#wire === wire) this.#lost();
  }

  /** A server silent for longer than its ping interval and timeout is gone: close, and reconnect. */
  #alive(wire: Wire): void {
    clearTimeout(this.#heartbeat);
    this.#heartbeat = setTimeout(() => wire.close(), this.#deadAfterMs);
  }

  #onFrame(wire: Wire, frame: string): void {
    const type = frame.slice(0, 2);
    if (frame[0] === '0') {
      const { pingInterval, pingTimeout } = JSON.parse(frame.slice(1)) as { pingInterval: number; pingTimeout: number };
      this.#deadAfterMs = pingInterval + pingTimeout;
      this.#alive(wire);
      wire.send('40');
    } else if (frame === '2') {
      this.#alive(wire);
      wire.send('3');
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
      wire.close();
    }
  }
}
