/**
 * Signing people in and out with the session cookie, and who a cookie stands for. One object, made in
 * app.ts, used by the password routes, the invitation and setup pages, single sign-on (C calls
 * `startSession` after OpenID Connect) and the authenticators of HTTP and Socket.IO.
 *
 * The cookie `lb_session` holds a random 32-byte secret (base64url); `HttpOnly` (scripts never see it),
 * `SameSite=Lax` (not sent on other sites' subrequests and form posts), `Secure` when the service is
 * public over HTTPS. Every sign-in makes a new session and ends the one the browser came with, so a
 * session id planted before sign-in (fixation) is worth nothing after it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { parseCookie, stringifySetCookie, type SerializeOptions } from 'cookie';
import type { Request, Response } from 'express';
import type { Logger } from '../logger';
import type { PeopleStore, PersonRecord } from '../store/people';
import { isSecretShape } from '../store/records';
import type { PersonPrincipal } from './principal';
import type { SessionRecord, SessionStore } from '../store/sessions';

export const SESSION_COOKIE = 'lb_session';
/** A session's activity is written at most this often (every request reads it; few need to write). */
export const TOUCH_EVERY_MS = 60_000;

export interface SessionPolicy {
  /** Inactivity after which a session ends. @default 12 hours */
  idleMs: number;
  /** A session's longest life, however active. @default 30 days */
  maxMs: number;
  /** Cookies only over HTTPS (LIVEBLOG_PUBLIC_URL is https). */
  secure: boolean;
  /** Live sessions one person may hold; a sign-in beyond it ends their oldest. @default 50 */
  maxSessions: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  idleMs: 12 * 60 * 60 * 1000,
  maxMs: 30 * 24 * 60 * 60 * 1000,
  secure: false,
  maxSessions: 50,
};

export interface PeopleAuth {
  readonly policy: SessionPolicy;
  /** Signs `person` in: a new session and its cookie; the session the request came with (if any) ends. */
  startSession(req: Request, res: Response, person: PersonRecord): Promise<SessionRecord>;
  /** The signed-in person a request's (or a handshake's) cookie stands for, or null. */
  principal(headers: IncomingHttpHeaders): Promise<PersonPrincipal | null>;
  /** Ends the session of the request's cookie (everywhere) and clears the cookie. */
  endSession(req: Request, res: Response): Promise<void>;
  /** Ends every session of a person (but `keepHash`), and their open connections everywhere. */
  endSessionsOf(personId: string, keepHash?: string): Promise<number>;
  clearCookie(res: Response): void;
}

/** The secret in a request's `lb_session` cookie, or null. */
export function sessionSecret(headers: IncomingHttpHeaders): string | null {
  const header = headers.cookie;
  if (!header) return null;
  const value = parseCookie(header)[SESSION_COOKIE];
  return value && isSecretShape(value) ? value : null;
}

/**
 * The options of every cookie the service sets (the session's here, single sign-on's in http/oidc.ts):
 * `HttpOnly` (no script reads it), `SameSite=Lax` (not sent with other sites' subrequests and form
 * posts, yet sent on a top-level navigation back from an identity provider), `Secure` behind https.
 */
export function cookieOptions(options: { secure: boolean; maxAgeSeconds: number; path?: string }): SerializeOptions {
  return { httpOnly: true, sameSite: 'lax', path: options.path ?? '/', secure: options.secure, maxAge: options.maxAgeSeconds };
}

/** Who a session's connections are, as revocations name them (see realtime/revocation.ts). */
export function sessionPrincipalId(hash: string): string {
  return `session:${hash}`;
}

export function personPrincipal(person: PersonRecord, session: SessionRecord): PersonPrincipal {
  return {
    kind: person.role,
    source: 'session',
    personId: person.id,
    name: person.name,
    email: person.email,
    blogs: [...person.blogs],
    sessionId: session.hash,
  };
}

export function createPeopleAuth(deps: {
  people: PeopleStore;
  sessions: SessionStore;
  policy: SessionPolicy;
  logger: Logger;
  /** Ends a principal's open connections on every process (revocation.ts). */
  revoked: (principal: string) => void;
  now?: () => Date;
}): PeopleAuth {
  const { people, sessions, policy, logger } = deps;
  const now = deps.now ?? (() => new Date());

  const setCookie = (res: Response, value: string, maxAgeSeconds: number) =>
    res.append('Set-Cookie', stringifySetCookie(SESSION_COOKIE, value, cookieOptions({ secure: policy.secure, maxAgeSeconds })));
  const clearCookie = (res: Response) => setCookie(res, '', 0);
  const ttl = (session: SessionRecord, at: Date) => Math.min(policy.idleMs, Date.parse(session.expiresAt) - at.getTime());

  const endSessionOf = async (headers: IncomingHttpHeaders): Promise<void> => {
    const secret = sessionSecret(headers);
    if (!secret) return;
    const session = await sessions.find(secret, now());
    if (!session) return;
    await sessions.revoke(session.hash);
    deps.revoked(sessionPrincipalId(session.hash));
  };

  return {
    policy,
    clearCookie,

    async startSession(req, res, person) {
      // Whatever session the browser came with ends: the new one is made here, never adopted.
      await endSessionOf(req.headers);
      const at = now();
      const expiresAt = new Date(at.getTime() + policy.maxMs);
      const { secret, record } = await sessions.create(
        person.id,
        { userAgent: req.get('user-agent'), address: req.ip },
        at,
        expiresAt,
        Math.min(policy.idleMs, policy.maxMs),
      );
      // A person's sessions are capped (a script with their password would otherwise grow them without
      // end): the oldest go, their sockets with them.
      const live = await sessions.list(person.id, at);
      for (const old of live.filter((session) => session.hash !== record.hash).slice(0, Math.max(0, live.length - policy.maxSessions))) {
        await sessions.revoke(old.hash);
        deps.revoked(sessionPrincipalId(old.hash));
      }
      await people.update(person.id, { lastSignInAt: at.toISOString(), ...(person.activatedAt ? {} : { activatedAt: at.toISOString() }) });
      setCookie(res, secret, Math.floor(policy.maxMs / 1000));
      res.setHeader('Cache-Control', 'no-store');
      logger.info({ personId: person.id, session: record.id }, 'signed in');
      return record;
    },

    async principal(headers) {
      const secret = sessionSecret(headers);
      if (!secret) return null;
      const at = now();
      const session = await sessions.find(secret, at);
      if (!session) return null;
      if (Date.parse(session.expiresAt) <= at.getTime()) {
        await sessions.revoke(session.hash);
        return null;
      }
      const person = await people.get(session.personId);
      if (!person || person.disabled) return null;
      // (Sooner when sessions idle out quickly: a session in use must never expire between two touches.)
      if (at.getTime() - Date.parse(session.lastSeenAt) >= Math.min(TOUCH_EVERY_MS, policy.idleMs / 10))
        await sessions.touch(session.hash, at, ttl(session, at));
      return personPrincipal(person, session);
    },

    async endSession(req, res) {
      await endSessionOf(req.headers);
      clearCookie(res);
    },

    async endSessionsOf(personId, keepHash) {
      const ended = await sessions.revokeAll(personId, keepHash);
      for (const session of ended) deps.revoked(sessionPrincipalId(session.hash));
      return ended.length;
    },
  };
}
