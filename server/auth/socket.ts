/**
 * Authentication on Socket.IO: scripts and token-signed desks connect with their token (handshake
 * `auth.token`), signed-in people's desks with their session cookie, readers with neither. A cookie is
 * believed only from the service's own pages (the handshake's `Origin`): another site's page must not
 * ride a person's session. A reader whose cookie is stale or foreign simply connects as a reader.
 */
import type { Socket } from 'socket.io';
import type { SocketAuth } from '../../shared/events';
import type { Logger } from '../logger';
import { isSameOrigin } from './http';
import type { Authenticator, Principal } from './principal';

/** A Socket.IO middleware: a connection with a token or a session gets its principal (`socket.data.principal`), or is refused. */
export function authenticateSocket(authenticator: Authenticator, logger: Logger): (socket: Socket, next: (error?: Error) => void) => void {
  return (socket, next) => {
    const { token } = (socket.handshake.auth ?? {}) as SocketAuth;
    const { headers } = socket.handshake;
    const sessions = authenticator.sessions;
    const fromCookie = token === undefined && !!sessions && !!headers.cookie && isSameOrigin(headers, sessions.publicUrl);
    if (token === undefined && !fromCookie) return next();
    const lookup: Promise<Principal | null> = fromCookie ? sessions!.principal(headers) : authenticator.authenticate(String(token));
    lookup
      .then((principal) => {
        if (principal) (socket.data as { principal?: Principal }).principal = principal;
        else if (!fromCookie) return next(new Error('unknown or revoked token'));
        next();
      })
      .catch((error: unknown) => {
        logger.error({ err: error, socketId: socket.id }, 'socket authentication failed');
        // A reader's page on this origin carries the cookie too: the store being away must not cost
        // readers their connection, so a cookie that cannot be checked connects as a reader.
        if (fromCookie) return next();
        next(new Error('the store is unreachable: try again shortly'));
      });
  };
}
