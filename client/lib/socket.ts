import { io } from 'socket.io-client';
import type { SocketAuth } from '../../shared/events';
import type { ClientSocket } from './live-feed';

/**
 * One Socket.IO connection to the live-blog server at `origin` (this page's own when unset), shared by
 * every feed on the page. WebSocket first, so no load balancer needs sticky sessions; long-polling only
 * where WebSocket is blocked.
 */
export function connectSocket(origin?: string, auth?: SocketAuth): ClientSocket {
  const options = { path: '/socket.io', transports: ['websocket', 'polling'], tryAllTransports: true, ...(auth ? { auth } : {}) };
  return origin ? io(origin, options) : io(options);
}
