/**
 * What one client may hold open on this process: a cap on concurrent connections per address, and
 * timeouts for requests that arrive slowly (headers trickled in, a body that never ends), so that no
 * client keeps sockets and memory held by sending little or nothing.
 *
 * Behind a proxy every connection comes from the proxy's address: addresses that LIVEBLOG_TRUST_PROXY
 * trusts are not capped here (the proxy is the place to cap its clients).
 */
import type http from 'node:http';
import { ERROR_CODES, type ErrorBody } from '../../shared/codes';
import type { Logger } from '../logger';

/** The time left to receive each request's body, for the requests that have one (see limitConnections). */
const bodyDeadlines = new WeakMap<http.IncomingMessage, { timer: NodeJS.Timeout; expire: () => void }>();

/**
 * Gives a request longer to send its body than the usual `requestTimeoutMs`, counted from now: a route
 * calls it once it has decided to read a large body (a picture's upload, after its sender was
 * authorised), so a photo sent over a field reporter's slow uplink is not cut off at 15 s, while anyone
 * else's body still gets the short deadline.
 */
export function extendBodyDeadline(req: http.IncomingMessage, ms: number): void {
  const deadline = bodyDeadlines.get(req);
  if (!deadline) return;
  clearTimeout(deadline.timer);
  deadline.timer = setTimeout(deadline.expire, ms).unref();
}

/** The 408's body, in the contract's error shape. */
const TIMEOUT_BODY = Buffer.from(
  JSON.stringify({
    error: { code: ERROR_CODES.requestTimeout, message: 'the request’s body was not received in time' } satisfies ErrorBody,
  }),
);

function hasBody(req: http.IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

export interface ConnectionLimits {
  /** Concurrent connections (HTTP keep-alive and WebSocket alike) one address may hold. @default 1000 */
  perAddress: number;
  /** Time to receive a request's headers. @default 10 000 */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included. @default 15 000 */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. @default 5 000 */
  keepAliveTimeoutMs: number;
  /** Time to receive a picture's upload once its sender is authorised: 20 MB at about 300 kbit/s. @default 600 000 */
  uploadTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  perAddress: 1_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  uploadTimeoutMs: 600_000,
};

export function limitConnections(
  server: http.Server,
  limits: ConnectionLimits,
  trusted: (address: string) => boolean,
  logger: Logger,
): void {
  server.headersTimeout = limits.headersTimeoutMs;
  // Node's own requestTimeout is one figure for every request; bodies get their deadline here instead
  // (requestTimeoutMs by default, longer where a route asks: extendBodyDeadline). A request without a
  // body is complete once its headers are, which headersTimeout bounds.
  server.requestTimeout = 0;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!hasBody(req) || req.complete) return;
    const expire = () => {
      bodyDeadlines.delete(req);
      if (req.complete) return;
      logger.warn({ method: req.method, url: req.url?.split('?')[0] }, 'request body not received in time: closing the connection');
      if (!res.headersSent) {
        res
          .writeHead(408, { Connection: 'close', 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': TIMEOUT_BODY.length })
          .end(TIMEOUT_BODY);
      }
      // Whatever was answered, the connection's body will never end: drop it.
      setImmediate(() => req.socket.destroy());
    };
    bodyDeadlines.set(req, { timer: setTimeout(expire, limits.requestTimeoutMs).unref(), expire });
    const done = () => {
      const deadline = bodyDeadlines.get(req);
      if (deadline) clearTimeout(deadline.timer);
      bodyDeadlines.delete(req);
    };
    req.once('end', done);
    req.once('close', done);
  });
  const open = new Map<string, number>();
  const warned = new Set<string>();
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? '';
    if (trusted(address)) return;
    const count = (open.get(address) ?? 0) + 1;
    if (count > limits.perAddress) {
      if (!warned.has(address)) logger.warn({ address, limit: limits.perAddress }, 'refusing connections beyond the per-address cap');
      warned.add(address);
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else {
        open.delete(address);
        warned.delete(address);
      }
    });
  });
}
