/** The middleware in front of editor routes: who is asking, and (for writes) how often. */
import type { RequestHandler } from 'express';
import type { RateLimiter } from '../store/rate-limiter';
import { authenticateRequest, requireToken } from '../auth/http';
import { principalId, type Authenticator } from '../auth/principal';
import { enforceLimit, type WriteLimit } from './rate-limit';

export interface Guards {
  /** Any known token (401 otherwise). */
  editor: RequestHandler;
  /** Any known token, within its write limit (429 beyond). */
  editorWrite: RequestHandler;
  /** Any known token, within its preview limit: PREVIEWS_PER_WRITE times the write limit, counted apart. */
  editorPreview: RequestHandler;
}

/** A desk previews as the editor types (debounced): far more often than it writes, but not without end. */
export const PREVIEWS_PER_WRITE = 5;

export function createGuards(authenticator: Authenticator, limiter: RateLimiter, limit: WriteLimit): Guards {
  const limited =
    (bucket: string, bucketLimit: WriteLimit): RequestHandler =>
    async (req, res, next) => {
      const principal = await authenticateRequest(authenticator, req, res);
      await enforceLimit(limiter, res, `${bucket}:${principalId(principal)}`, bucketLimit);
      next();
    };
  return {
    editor: requireToken(authenticator),
    editorWrite: limited('writes', limit),
    editorPreview: limited('previews', { ...limit, perWindow: limit.perWindow * PREVIEWS_PER_WRITE }),
  };
}
