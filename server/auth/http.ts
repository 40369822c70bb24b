/** Authentication and permissions on HTTP routes: the principal in `res.locals`, 401 and 403 in the contract's shape. */
import type { Request, RequestHandler, Response } from 'express';
import { ERROR_CODES } from '../../shared/codes';
import { canWriteBlog } from '../../shared/permissions';
import { HttpError } from '../http/errors';
import { bearerSecret, type Authenticator, type Principal } from './principal';

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
