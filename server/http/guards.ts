/**
 * The middleware in front of the API's signed-in routes: who is asking (any known token, or any signed-in
 * person, whatever their role: what they may do is each route's check, http/roles.ts), and for writes
 * how often.
 */
import type { RequestHandler } from 'express';
import type { RateLimiter } from '../store/rate-limiter';
import { authenticateRequest, signedIn } from '../auth/http';
import { principalId, type Authenticator } from '../auth/principal';
import { enforceLimit, type WriteLimit } from './rate-limit';

export interface Guards {
  /** A known bearer token or a live session cookie, of any role (401 otherwise). */
  signedIn: RequestHandler;
  /** As `signedIn` (and for a cookie, the same-origin check), within the write limit (429 beyond). */
  signedInWrite: RequestHandler;
  /** As `signedInWrite`, within the preview limit: PREVIEWS_PER_WRITE times the write limit, counted apart. */
  signedInPreview: RequestHandler;
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
    signedIn: signedIn(authenticator),
    signedInWrite: limited('writes', limit),
    signedInPreview: limited('previews', { ...limit, perWindow: limit.perWindow * PREVIEWS_PER_WRITE }),
  };
}
