/**
 * Single sign-on's two routes. `GET /auth/oidc/login` starts a sign-in at the provider (the desk's
 * "Sign in with …" link); `GET /auth/oidc/callback` is where the provider sends the person back. There
 * the verified email is matched to a person an admin invited: nobody else gets in, and no account is
 * ever made here. A person only invited so far is activated by it (startSession does that). Every
 * failure is a page that says what happened and leads back to the desk; nothing is created, and the
 * log says why without the code, the tokens or the state.
 */
import { parseCookie, stringifySetCookie } from 'cookie';
import { Router, type Request, type Response } from 'express';
import type { Assets } from '../assets';
import { cookieOptions } from '../auth/people-auth';
import { MemoryPendingSignIns, OidcFailure, OidcSignIn, RedisPendingSignIns, SIGN_IN_TTL_MS, type OidcFailureReason } from '../auth/oidc';
import type { OidcSettings } from '../config';
import type { Logger } from '../logger';
import { signInRefusalPage } from '../render/card-page';
import type { SharedRedis } from '../store/open';
import type { PeopleStore, PersonRecord } from '../store/people';
import { htmlPageRoutes } from './html-pages';

export const OIDC_LOGIN_PATH = '/auth/oidc/login';
export const OIDC_CALLBACK_PATH = '/auth/oidc/callback';
/** The browser's half of a sign-in under way: a random id, sent only to these two routes. */
const SIGN_IN_COOKIE = 'lb_oidc';
const COOKIE_PATH = '/auth/oidc';

/**
 * A request as the log writes it: the callback's query carries the authorization code and state, so
 * of the callback only the path is kept (its URL and its parsed query both).
 */
export function loggableRequest<T extends { url: string; query?: unknown }>(req: T): T {
  if (!req.url.startsWith(OIDC_CALLBACK_PATH)) return req;
  const { query: _query, ...rest } = req;
  const cut = req.url.indexOf('?');
  return { ...rest, url: cut === -1 ? req.url : `${req.url.slice(0, cut)}?[redacted]` } as T;
}

export interface OidcRoutesDeps {
  oidc: OidcSignIn;
  people: Pick<PeopleStore, 'findByEmail'>;
  /** helper A's PeopleAuth.startSession: a new session and its cookie; activates an invited person. */
  startSession(req: Request, res: Response, person: PersonRecord): Promise<unknown>;
  /** The service's public origin: the callback URL is read against it, as the provider was told it. */
  publicOrigin: () => string;
  /** Cookies only over HTTPS. */
  secure: boolean;
  assets: Assets;
  logger: Logger;
}

/**
 * Single sign-on as app.ts mounts it: the routes, and the desk's button (editor-page.ts writes
 * "Sign in with <label>"). Sign-ins under way live in Redis when the service does, so that any
 * process may take the provider's callback.
 */
export function createSingleSignOn(
  settings: OidcSettings,
  deps: Omit<OidcRoutesDeps, 'oidc'> & { redis?: SharedRedis },
): { router: Router; button: { label: string; href: string } } {
  const { redis, ...routeDeps } = deps;
  const oidc = new OidcSignIn(settings, {
    redirectUri: () => `${deps.publicOrigin()}${OIDC_CALLBACK_PATH}`,
    pending: redis ? new RedisPendingSignIns(redis.client, redis.keys.oidcSignIn) : new MemoryPendingSignIns(),
    logger: deps.logger,
  });
  return { router: oidcRouter({ ...routeDeps, oidc }), button: { label: settings.name, href: OIDC_LOGIN_PATH } };
}

/** Why a person who came back verified is still not let in. */
type Refusal = 'unknown_person' | 'disabled';

const STATUS: Record<OidcFailureReason | Refusal, number> = {
  unknown_person: 403,
  disabled: 403,
  unverified_email: 403,
  provider_refused: 400,
  no_sign_in: 400,
  invalid_response: 400,
  provider_unavailable: 502,
};

/** Failures after which starting again may well work. */
const AGAIN = new Set<OidcFailureReason>(['no_sign_in', 'invalid_response', 'provider_refused']);

export function oidcRouter(deps: OidcRoutesDeps): Router {
  const router = Router();
  const { oidc, logger } = deps;
  const name = oidc.settings.name;

  const signInCookie = (res: Response, value: string, maxAgeSeconds: number) =>
    res.append(
      'Set-Cookie',
      // Lax (as every cookie here): the provider's redirect back is a top-level navigation from another site, which Lax allows.
      stringifySetCookie(SIGN_IN_COOKIE, value, cookieOptions({ secure: deps.secure, maxAgeSeconds, path: COOKIE_PATH })),
    );

  const page = (message: string) => signInRefusalPage(deps.assets, name, message);

  /**
   * Both routes answer with a page whatever happens: a refusal says why; anything else (the store
   * unreachable, a bug) says to try again, and is logged by name and message only.
   */
  const pages = htmlPageRoutes({
    logger,
    what: 'single sign-on',
    logContext: { issuer: oidc.settings.issuer },
    failed: 'Signing in did not finish: this service met a problem. Try again in a moment.',
    page: (_status, problem) => page(problem.text),
    known: (error, _req, res) => {
      if (!(error instanceof OidcFailure)) return false;
      const again = AGAIN.has(error.reason) ? ' Start again from the desk.' : '';
      refuse(res, error.reason, error.message + again, { detail: error.detail });
      return true;
    },
  });

  const refuse = (res: Response, reason: OidcFailureReason | Refusal, message: string, log: Record<string, unknown>) => {
    logger.warn({ reason, issuer: oidc.settings.issuer, ...log }, 'single sign-on refused');
    pages.send(res, STATUS[reason], page(message));
  };

  router.get(
    OIDC_LOGIN_PATH,
    pages.route(async (_req, res) => {
      // The referrer and caches have no business with a page that only redirects to a provider.
      res.set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
      const started = await oidc.begin();
      signInCookie(res, started.id, Math.floor(SIGN_IN_TTL_MS / 1000));
      res.redirect(303, started.url.href);
    }),
  );

  router.get(
    OIDC_CALLBACK_PATH,
    pages.route(async (req, res) => {
      // The URL holds the code and state: no Referer carries it on to the next page.
      res.set('Referrer-Policy', 'no-referrer');
      const id = req.headers.cookie ? parseCookie(req.headers.cookie)[SIGN_IN_COOKIE] : undefined;
      // Used or not, the sign-in's cookie is done with.
      signInCookie(res, '', 0);
      const { email } = await oidc.complete(id, new URL(req.originalUrl, deps.publicOrigin()));
      const person = await deps.people.findByEmail(email.toLowerCase());
      if (!person) {
        // The address is personal data, and this person is no one's here: the log keeps its domain only.
        return refuse(res, 'unknown_person', `No one on this desk has the email address ${email}. Ask an admin to invite you with it.`, {
          emailDomain: email.slice(email.lastIndexOf('@') + 1).toLowerCase(),
        });
      }
      if (person.disabled) {
        return refuse(res, 'disabled', `The account for ${email} is disabled. Ask an admin if this is a mistake.`, { personId: person.id });
      }
      await deps.startSession(req, res, person);
      logger.info({ personId: person.id, issuer: oidc.settings.issuer }, 'signed in with single sign-on');
      res.redirect(303, '/editor');
    }),
  );

  return router;
}
