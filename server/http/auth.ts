/** Bearer tokens: who is asking, and may they act on this blog. */
import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ERROR_CODES } from '../../shared/codes';
import { sha256 } from '../crypto';
import type { TokenStore } from '../store/tokens';
import { HttpError } from './errors';

export type Principal = { kind: 'admin' } | { kind: 'editor'; tokenId: string; name: string; blogs: string[] };

export interface Authenticator {
  /** The principal a bearer secret stands for, or null for an unknown one. */
  authenticate(secret: string): Promise<Principal | null>;
}

/**
 * The admin token (from the settings) or an editor token (from the store). Hashing both sides first
 * makes the admin comparison constant-time whatever the lengths.
 */
export function createAuthenticator(adminToken: string, tokens: TokenStore): Authenticator {
  const expected = sha256(adminToken);
  return {
    async authenticate(secret) {
      if (timingSafeEqual(sha256(secret), expected)) return { kind: 'admin' };
      const record = await tokens.authenticate(secret, new Date());
      return record ? { kind: 'editor', tokenId: record.id, name: record.name, blogs: record.blogs } : null;
    },
  };
}

/** Who a principal is, as a short stable id (Idempotency-Keys are scoped to it). */
export function principalId(principal: Principal): string {
  return principal.kind === 'admin' ? 'admin' : tokenPrincipalId(principal.tokenId);
}

export function tokenPrincipalId(tokenId: string): string {
  return `token:${tokenId}`;
}

export function canWriteBlog(principal: Principal, blogId: string): boolean {
  return principal.kind === 'admin' || principal.blogs.includes('*') || principal.blogs.includes(blogId);
}

export function canCreateBlog(principal: Principal): boolean {
  return principal.kind === 'admin' || principal.blogs.includes('*');
}

/** Throws 401 unless the request carries a known bearer token; the principal goes to `res.locals.principal`. */
export async function authenticateRequest(authenticator: Authenticator, req: Request, res: Response): Promise<Principal> {
  const secret = bearerSecret(req.headers.authorization);
  if (!secret) throw new HttpError(401, ERROR_CODES.unauthorized, 'send Authorization: Bearer <token>');
  const principal = await authenticator.authenticate(secret);
  if (!principal) throw new HttpError(401, ERROR_CODES.unauthorized, 'unknown or revoked token');
  res.locals.principal = principal;
  return principal;
}

export function requireToken(authenticator: Authenticator): RequestHandler {
  return async (req, res, next) => {
    await authenticateRequest(authenticator, req, res);
    next();
  };
}

/** Reads the bearer secret of an `Authorization` header. */
export function bearerSecret(header: string | undefined): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? null;
}

export function requireAdmin(res: Response): void {
  if (principalOf(res).kind !== 'admin') throw new HttpError(403, ERROR_CODES.forbidden, 'only the admin token may do this');
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

export function assertCanWrite(res: Response, blogId: string): void {
  if (!canWriteBlog(principalOf(res), blogId)) {
    throw new HttpError(403, ERROR_CODES.forbidden, `this token has no rights on blog ${blogId}`);
  }
}
