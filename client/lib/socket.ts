import { io } from 'socket.io-client';
import type { SocketAuth } from '../../shared/events';
import { Backoff } from './backoff';
import { debug } from './debug';
import type { ClientSocket } from './live-feed';

type Engine = NonNullable<ClientSocket['io']['engine']>;

/** WebSocket attempts that never opened, in a row, after which the page long-polls first (as the widget does). */
const WEBSOCKET_ATTEMPTS = 2;
const WEBSOCKET_FIRST = ['websocket', 'polling'];
const POLLING_FIRST = ['polling', 'websocket'];

/**
 * One Socket.IO connection to the live-blog server at `origin` (this page's own when unset), shared by
 * every feed on the page. WebSocket first, so no load balancer needs sticky sessions; long-polling only
 * where WebSocket is blocked.
 *
 * Blocked comes in two forms. A refused upgrade (a 403) is a transport error, and engine.io-client's
 * `tryAllTransports` moves on to polling. A WebSocket that a proxy accepts and drops at once is only a
 * close: the manager would sit on it until its 20 s connect timeout and then try WebSocket again, for
 * ever. So each attempt is watched here: one closed before it opened is retried at once, and after two
 * the page long-polls first (Engine.IO still upgrades to WebSocket where that works, and then goes back
 * to WebSocket first).
 *
 * Going offline is not noticed by a WebSocket until the heartbeat fails (45 s): the browser's `offline`
 * closes the connection at once (readers see "Reconnecting…"), and `online` reconnects at once instead
 * of waiting out the back-off; the feed then catches up by cursor as after any reconnect.
 */
export function connectSocket(origin?: string, auth?: SocketAuth): ClientSocket {
  const options = { path: '/socket.io', transports: WEBSOCKET_FIRST, tryAllTransports: true, ...(auth ? { auth } : {}) };
  const socket = origin ? io(origin, options) : io(options);
  const manager = socket.io;
  const retries = new Backoff(300, 5_000);
  let webSocketFailures = 0;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;

  /** Abandons the attempt under way (and the manager's pending timers) and connects again. */
  const restart = (delayMs: number) => {
    clearTimeout(restartTimer);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (socket.connected) return;
      socket.disconnect();
      socket.connect();
      watch(manager.engine);
    }, delayMs);
  };

  const watch = (engine: Engine | undefined) => {
    if (!engine) return;
    let opened = false;
    engine.on('open', () => {
      opened = true;
      retries.reset();
      if (engine.transport.name === 'websocket') webSocketFailures = 0;
    });
    engine.on('upgrade', (transport) => {
      if (transport.name !== 'websocket') return;
      webSocketFailures = 0;
      manager.opts.transports = WEBSOCKET_FIRST;
    });
    engine.on('close', (reason) => {
      if (opened || reason !== 'transport close' || engine.transport?.name !== 'websocket') return;
      webSocketFailures++;
      debug('WebSocket closed before it opened', webSocketFailures);
      if (webSocketFailures >= WEBSOCKET_ATTEMPTS) manager.opts.transports = POLLING_FIRST;
      restart(retries.next());
    });
  };
  watch(manager.engine);
  // Each reconnection attempt opens a new engine, synchronously after this event.
  manager.on('reconnect_attempt', () => queueMicrotask(() => watch(manager.engine)));

  window.addEventListener('offline', () => {
    if (socket.connected) manager.engine?.close();
  });
  window.addEventListener('online', () => {
    if (socket.connected) return;
    retries.reset();
    restart(0);
  });
  return socket;
}
