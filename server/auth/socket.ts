/** Authentication on Socket.IO: editors' pages connect with their token (handshake `auth.token`), readers with none. */
import type { Socket } from 'socket.io';
import type { SocketAuth } from '../../shared/events';
import type { Logger } from '../logger';
import type { Authenticator, Principal } from './principal';

/** A Socket.IO middleware: a connection with a token gets its principal (`socket.data.principal`), or is refused. */
export function authenticateSocket(authenticator: Authenticator, logger: Logger): (socket: Socket, next: (error?: Error) => void) => void {
  return (socket, next) => {
    const { token } = (socket.handshake.auth ?? {}) as SocketAuth;
    if (token === undefined) return next();
    authenticator
      .authenticate(String(token))
      .then((principal: Principal | null) => {
        if (!principal) return next(new Error('unknown or revoked token'));
        (socket.data as { principal?: Principal }).principal = principal;
        next();
      })
      .catch((error: unknown) => {
        logger.error({ err: error, socketId: socket.id }, 'socket authentication failed');
        next(new Error('the store is unreachable: try again shortly'));
      });
  };
}
