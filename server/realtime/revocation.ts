/**
 * A revoked token loses its open connections at once, on every process: the process that revoked it
 * disconnects its own and tells the others over the bus. In case that message is lost (the bus is at
 * most once), every process also checks, every RECHECK_MS, that the tokens behind its editors'
 * connections still exist. (Readers' connections carry no token: nothing to revoke.)
 */
import { principalId, tokenPrincipalId } from '../auth/principal';
import type { Logger } from '../logger';
import type { TokenStore } from '../store/tokens';
import type { Bus } from './bus';
import type { LiveServer } from './context';

/** How often the tokens behind open connections are checked again. */
export const RECHECK_MS = 10_000;

export interface Revocation {
  /** A principal lost its rights here: end its connections everywhere. */
  revoked(principal: string): void;
  close(): void;
}

export function startRevocation(deps: { io: LiveServer; bus: Bus; tokens: TokenStore; logger: Logger }): Revocation {
  const { io, bus, logger } = deps;
  const disconnect = (principal: string) => {
    for (const socket of io.of('/').sockets.values()) {
      const held = socket.data.principal;
      if (held && principalId(held) === principal) {
        logger.info({ socketId: socket.id, principal }, 'ending a revoked connection');
        socket.disconnect(true);
      }
    }
  };
  bus.onMessage((message) => {
    if (message.type === 'revoked') disconnect(message.principal);
  });
  const recheck = async () => {
    const tokenIds = new Set<string>();
    for (const socket of io.of('/').sockets.values()) {
      const held = socket.data.principal;
      if (held?.source === 'token') tokenIds.add(held.tokenId);
    }
    if (!tokenIds.size) return;
    const active = await deps.tokens.active([...tokenIds]);
    for (const tokenId of tokenIds) if (!active.has(tokenId)) disconnect(tokenPrincipalId(tokenId));
  };
  const timer = setInterval(() => {
    recheck().catch((error: unknown) => logger.warn({ err: error }, 'could not check the tokens of open connections; trying again later'));
  }, RECHECK_MS);
  timer.unref();
  return {
    revoked: (principal) => {
      disconnect(principal);
      bus.publish({ type: 'revoked', principal });
    },
    close: () => clearInterval(timer),
  };
}
