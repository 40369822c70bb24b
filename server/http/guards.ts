/** The middleware in front of editor routes: who is asking, and (for writes) how often. */
import type { RequestHandler } from 'express';
import type { RateLimiter } from '../store/rate-limiter';
import { authenticateRequest, requireToken, type Authenticator } from './auth';
import { enforceLimit, type WriteLimit } from './rate-limit';

export interface Guards {
  /** Any known token (401 otherwise). */
  editor: RequestHandler;
  /** Any known token, within its write limit (429 beyond). */
  editorWrite: RequestHandler;
}

export function createGuards(authenticator: Authenticator, limiter: RateLimiter, limit: WriteLimit): Guards {
  return {
    editor: requireToken(authenticator),
    editorWrite: async (req, res, next) => {
      const principal = await authenticateRequest(authenticator, req, res);
      await enforceLimit(limiter, res, `writes:${principal.kind === 'admin' ? 'admin' : principal.tokenId}`, limit);
      next();
    },
  };
}
