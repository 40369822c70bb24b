/**
 * Signing in and out, and the signed-in person's own password and sessions: `/api/session`,
 * `/api/me/password`, `/api/me/sessions`.
 *
 * Sign-in answers the same 401 for an unknown email, a wrong password and a disabled account, after the
 * same work (a dummy hash is verified when there is no account), so neither the answer nor its time says
 * which emails have accounts. Attempts are counted before any hashing, in one atomic step each, and a
 * success gives its count back: a flood of guesses, even sent all at once, gets at most the limit
 * verified, and costs the server a counter increment each beyond it. Three counts: per account from
 * one address (stops one guesser, and locks out only that address), per address (across accounts), and
 * a much higher one per account across all addresses (only a distributed attack reaches it). So a
 * stranger who knows someone's email cannot keep that person out by failing on purpose.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { ERROR_CODES } from '../../shared/codes';
import { ChangePasswordSchema, SignInSchema } from '../../shared/schemas';
import { assertSameOrigin, principalOf } from '../auth/http';
import { hashPassword, needsRehash, passwordProblem, verifyPassword } from '../auth/passwords';
import { sessionPrincipalId, sessionSecret, type PeopleAuth } from '../auth/people-auth';
import type { PersonPrincipal } from '../auth/principal';
import { sha256 } from '../crypto';
import type { Logger } from '../logger';
import type { PeopleStore } from '../store/people';
import type { RateLimiter } from '../store/rate-limiter';
import type { SessionStore } from '../store/sessions';
import { HttpError, notFound, parseOr400 } from './errors';
import type { Guards } from './guards';
import { jsonBody } from './json-body';

/** Failed sign-ins are counted in windows this long. */
export const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;

export interface SignInLimits {
  /** Failures on one account from one address (LIVEBLOG_SIGNIN_FAILURES_PER_ACCOUNT). */
  perAccount: number;
  /** Failures from one address, whatever the accounts (LIVEBLOG_SIGNIN_FAILURES_PER_ADDRESS). */
  perAddress: number;
  /** Failures on one account from all addresses together (LIVEBLOG_SIGNIN_FAILURES_PER_ACCOUNT_ALL_ADDRESSES). */
  perAccountAllAddresses: number;
  windowMs: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = {
  perAccount: 10,
  perAddress: 50,
  perAccountAllAddresses: 100,
  windowMs: SIGN_IN_WINDOW_MS,
};

/** A session's public id (16 hex digits); anything else names none. */
const SessionIdParam = z.string().regex(/^[0-9a-f]{16}$/);

export interface SessionDeps {
  people: PeopleStore;
  sessions: SessionStore;
  auth: PeopleAuth;
  guards: Guards;
  rateLimiter: RateLimiter;
  logger: Logger;
  limits: SignInLimits;
  /** LIVEBLOG_PUBLIC_URL, for the same-origin check when it is set. */
  publicUrl?: string;
  revoked: (principal: string) => void;
  now: () => Date;
}

const WRONG_CREDENTIALS = 'wrong email or password';

/**
 * Counts sign-in attempts per account from this address, per address and per account from everywhere,
 * and refuses (429) once any has had too many. An attempt is counted before its password is verified,
 * in one step each (the store's atomic add), so a burst of concurrent guesses cannot all pass a check
 * made before any of them failed; a sign-in that succeeds gives its counts back, so only failures (and
 * attempts under way) use up the limits.
 */
export function signInLimiter(limiter: RateLimiter, limits: SignInLimits) {
  const buckets = (req: Request, email: string) => {
    const account = sha256(email.trim().toLowerCase()).toString('hex').slice(0, 32);
    const address = req.ip ?? 'unknown';
    return [
      { bucket: `signin-account-address:${account}:${address}`, limit: limits.perAccount, what: 'this account from this address' },
      { bucket: `signin-address:${address}`, limit: limits.perAddress, what: 'this address' },
      { bucket: `signin-account:${account}`, limit: limits.perAccountAllAddresses, what: 'this account' },
    ];
  };
  return {
    /**
     * Counts the attempt on the account and the address; throws 429 (with Retry-After: the window's
     * real remainder) when either is over its limit, giving back what it counted. Returns `succeeded`,
     * which gives the attempt back once the password proved right.
     */
    async attempt(req: Request, res: Response, email: string): Promise<{ succeeded: () => Promise<void> }> {
      const counted: string[] = [];
      const giveBack = () => Promise.all(counted.map((bucket) => limiter.add(bucket, -1, limits.windowMs))).then(() => undefined);
      for (const { bucket, limit, what } of buckets(req, email)) {
        const { allowed, resetMs } = await limiter.hit(bucket, limit, limits.windowMs);
        counted.push(bucket);
        if (!allowed) {
          await giveBack();
          const retryAfter = Math.max(1, Math.ceil(resetMs / 1000));
          res.setHeader('Retry-After', String(retryAfter));
          throw new HttpError(
            429,
            ERROR_CODES.rateLimited,
            `too many failed sign-ins for ${what}: try again in ${Math.ceil(retryAfter / 60)} min`,
          );
        }
      }
      return { succeeded: giveBack };
    },
  };
}

/** A sign-in from another site's page (login cross-site request forgery) is refused; scripts send no Origin. */
function assertNotCrossSite(req: Request, publicUrl: string | undefined): void {
  if (req.headers.origin !== undefined || req.headers['sec-fetch-site'] === 'cross-site' || req.headers['sec-fetch-site'] === 'same-site')
    assertSameOrigin(req.headers, publicUrl);
}

function personOf(res: Response): PersonPrincipal {
  const principal = principalOf(res);
  if (principal.source !== 'session')
    throw new HttpError(400, ERROR_CODES.invalid, 'only a signed-in person has a password and sessions; a token has neither');
  return principal;
}

export function sessionRouter(deps: SessionDeps): Router {
  const { people, sessions, auth, now } = deps;
  const { signedIn, signedInWrite } = deps.guards;
  const limiter = signInLimiter(deps.rateLimiter, deps.limits);
  const router = Router();

  router.post('/session', jsonBody, async (req, res) => {
    assertNotCrossSite(req, deps.publicUrl);
    const input = parseOr400(SignInSchema, req.body, 'sign-in');
    const attempt = await limiter.attempt(req, res, input.email);
    const person = await people.findByEmail(input.email.trim().toLowerCase());
    const matches = await verifyPassword(person?.passwordHash, input.password, deps.logger, person?.id);
    if (!person || !matches || person.disabled) {
      deps.logger.info({ reason: !person ? 'unknown email' : person.disabled ? 'disabled' : 'wrong password' }, 'sign-in refused');
      throw new HttpError(401, ERROR_CODES.unauthorized, WRONG_CREDENTIALS);
    }
    // The password is at hand only now: a hash made with older settings is brought up to date.
    if (person.passwordHash && needsRehash(person.passwordHash))
      await people.update(person.id, { passwordHash: await hashPassword(input.password) });
    await auth.startSession(req, res, person);
    await attempt.succeeded();
    res.status(204).end();
  });

  // Idempotent: without a live session there is nothing to end, and the answer is the same.
  router.delete('/session', async (req, res) => {
    if (sessionSecret(req.headers)) assertSameOrigin(req.headers, deps.publicUrl);
    await auth.endSession(req, res);
    res.setHeader('Cache-Control', 'no-store');
    res.status(204).end();
  });

  router.post('/me/password', signedInWrite, jsonBody, async (req, res) => {
    const me = personOf(res);
    const input = parseOr400(ChangePasswordSchema, req.body, 'password change');
    const attempt = await limiter.attempt(req, res, me.email);
    const person = await people.get(me.personId);
    if (!person) throw new HttpError(401, ERROR_CODES.unauthorized, 'sign in again');
    if (!(await verifyPassword(person.passwordHash, input.currentPassword, deps.logger, person.id))) {
      throw new HttpError(400, ERROR_CODES.invalid, 'the current password is wrong', { currentPassword: 'is not your current password' });
    }
    await attempt.succeeded();
    const problem = passwordProblem(input.password, person);
    if (problem) throw new HttpError(400, ERROR_CODES.invalid, `the new password ${problem}`, { password: problem });
    await people.update(person.id, { passwordHash: await hashPassword(input.password) });
    // Anyone else signed in as this person (a lost laptop, a shared password) is out; this session stays.
    await auth.endSessionsOf(person.id, me.sessionId);
    res.status(204).end();
  });

  router.get('/me/sessions', signedIn, async (_req, res) => {
    const me = personOf(res);
    const list = (await sessions.list(me.personId, now())).map(({ hash, personId: _p, ...session }) => ({
      ...session,
      current: hash === me.sessionId,
    }));
    res.setHeader('Cache-Control', 'no-store');
    res.json({ sessions: list });
  });

  // "Sign out everywhere else": every session of this person but the one asking.
  router.delete('/me/sessions', signedInWrite, async (_req, res) => {
    const me = personOf(res);
    await auth.endSessionsOf(me.personId, me.sessionId);
    res.status(204).end();
  });

  router.delete('/me/sessions/:sessionId', signedInWrite, async (req, res) => {
    const me = personOf(res);
    const id = SessionIdParam.safeParse(req.params.sessionId);
    const session = id.success ? (await sessions.list(me.personId, now())).find((s) => s.id === id.data) : undefined;
    if (!session) throw notFound('session');
    await sessions.revoke(session.hash);
    deps.revoked(sessionPrincipalId(session.hash));
    if (session.hash === me.sessionId) auth.clearCookie(res);
    res.status(204).end();
  });

  return router;
}
