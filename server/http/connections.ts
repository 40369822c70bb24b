/**
 * What one client may hold open on this process: a cap on concurrent connections per address, and
 * timeouts for requests that arrive slowly (headers trickled in, a body that never ends), so that no
 * client keeps sockets and memory held by sending little or nothing.
 *
 * Behind a proxy every connection comes from the proxy's address: addresses that LIVEBLOG_TRUST_PROXY
 * trusts are not capped here (the proxy is the place to cap its clients).
 */
import type http from 'node:http';
import type { Logger } from '../logger';

export interface ConnectionLimits {
  /** Concurrent connections (HTTP keep-alive and WebSocket alike) one address may hold. @default 1000 */
  perAddress: number;
  /** Time to receive a request's headers. @default 10 000 */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included. @default 15 000 */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. @default 5 000 */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  perAddress: 1_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
};

export function limitConnections(
  server: http.Server,
  limits: ConnectionLimits,
  trusted: (address: string) => boolean,
  logger: Logger,
): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
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
