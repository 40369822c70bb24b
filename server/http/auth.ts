/** Bearer tokens: who is asking, and may they act on this blog. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { ERROR_CODES } from '../../shared/codes';
import { HttpError } from './errors';

export type Principal = { kind: 'admin' } | { kind: 'editor'; tokenId: string; name: string; blogs: string[] };

export interface Authenticator {
  /** The principal a bearer secret stands for, or null for an unknown one. */
  authenticate(secret: string): Promise<Principal | null>;
}

/** Knows only the admin token. Hashing both sides first makes the comparison constant-time whatever the lengths. */
export function adminAuthenticator(adminToken: string): Authenticator {
  const expected = sha256(adminToken);
  return {
    async authenticate(secret) {
      return timingSafeEqual(sha256(secret), expected) ? { kind: 'admin' } : null;
    },
  };
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function canWriteBlog(principal: Principal, blogId: string): boolean {
  return principal.kind === 'admin' || principal.blogs.includes('*') || principal.blogs.includes(blogId);
}

export function canCreateBlog(principal: Principal): boolean {
  return principal.kind === 'admin' || principal.blogs.includes('*');
}

/** Answers 401 unless the request carries a known bearer token; the principal goes to `res.locals.principal`. */
export function requireToken(authenticator: Authenticator): RequestHandler {
  return async (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) throw new HttpError(401, ERROR_CODES.unauthorized, 'send Authorization: Bearer <token>');
    const principal = await authenticator.authenticate(match[1]);
    if (!principal) throw new HttpError(401, ERROR_CODES.unauthorized, 'unknown or revoked token');
    res.locals.principal = principal;
    next();
  };
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

export function assertCanWrite(res: Response, blogId: string): void {
  if (!canWriteBlog(principalOf(res), blogId)) {
    throw new HttpError(403, ERROR_CODES.forbidden, `this token has no rights on blog ${blogId}`);
  }
}
