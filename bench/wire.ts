/**
 * A reader that speaks the Socket.IO wire protocol (Engine.IO 4 over a raw WebSocket) with as little
 * work as possible, so that thousands of them in one process measure the server, not the client:
 * events are not parsed unless asked, just matched by a marker.
 *
 * The frames: the server opens with `0{…}`; we connect to the default namespace with `40`; it pings
 * with `2`, we answer `3`; `42<id>["event",payload]` emits with an ack, answered by `43<id>[answer]`;
 * the server's events arrive as `42["event",payload]`.
 */
import WebSocket from 'ws';

export interface WireOptions {
  /** Called with the raw text of every server event frame (`42[…]`), and when it arrived. */
  onEvent?: (frame: string, at: number) => void;
}

export class WireClient {
  private nextAck = 0;
  private readonly acks = new Map<number, (answer: unknown) => void>();

  private constructor(
    private readonly socket: WebSocket,
    private readonly options: WireOptions,
  ) {
    socket.on('message', (data: Buffer) => this.onFrame(data.toString()));
  }

  static connect(baseUrl: string, options: WireOptions = {}): Promise<WireClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false });
      const client = new WireClient(socket, options);
      const timer = setTimeout(() => reject(new Error(`no Socket.IO handshake from ${baseUrl}`)), 15_000);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.on('message', function connected(data: Buffer) {
        const frame = data.toString();
        if (frame.startsWith('0{')) socket.send('40');
        else if (frame.startsWith('40')) {
          socket.off('message', connected);
          clearTimeout(timer);
          resolve(client);
        }
      });
    });
  }

  emitWithAck<T>(event: string, payload: unknown, timeoutMs = 30_000): Promise<T> {
    const id = this.nextAck++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.acks.delete(id);
        reject(new Error(`no ack for ${event} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.acks.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer as T);
      });
      this.socket.send(`42${id}${JSON.stringify([event, payload])}`);
    });
  }

  close(): void {
    this.socket.terminate();
  }

  private onFrame(frame: string): void {
    if (frame === '2') {
      this.socket.send('3');
    } else if (frame.startsWith('42[')) {
      this.options.onEvent?.(frame, performance.now());
    } else if (frame.startsWith('43')) {
      const open = frame.indexOf('[');
      const resolve = this.acks.get(Number(frame.slice(2, open)));
      if (resolve) {
        this.acks.delete(Number(frame.slice(2, open)));
        resolve((JSON.parse(frame.slice(open)) as unknown[])[0]);
      }
    }
  }
}

/** The bench marker in an event frame (`bench-<n>`), found without parsing the frame. */
export function markerOf(frame: string): number {
  const at = frame.indexOf('bench-');
  if (at < 0) return -1;
  let end = at + 6;
  while (end < frame.length && frame.charCodeAt(end) >= 48 && frame.charCodeAt(end) <= 57) end++;
  return Number(frame.slice(at + 6, end));
}
