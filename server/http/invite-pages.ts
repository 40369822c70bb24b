/**
 * The one-time links, as pages: `/invite/<secret>` (an invited person chooses their password) and
 * `/setup/<secret>` (the first admin account, from the link printed at the first start). Both are plain
 * form posts (urlencoded, no scripts needed), checked as coming from the service's own page, and end on
 * the desk, signed in (303). A link guessed, replaced, used or expired gets a page that says so, and
 * changes nothing; so does a refused password (the form again, with what is wrong).
 */
import express, { Router, type Request, type Response } from 'express';
import { CreateUserSchema, EmailSchema } from '../../shared/schemas';
import type { Assets } from '../assets';
import { isSameOrigin } from '../auth/http';
import { hashPassword, passwordProblem } from '../auth/passwords';
import type { PeopleAuth } from '../auth/people-auth';
import type { Logger } from '../logger';
import { invitePage, linkProblemPage, setupPage } from '../render/invite-page';
import { htmlPageRoutes } from './html-pages';
import { isSecretShape } from '../store/records';
import { isAdmin, userInfo, type LinkState, type PeopleStore, type PersonRecord } from '../store/people';

const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 10 });

/** A first-run link works this long (or until an admin account exists). */
export const SETUP_TTL_MS = 24 * 60 * 60 * 1000;

const DEAD_LINKS = {
  unknown: [404, 'This link is not valid', 'It may have been mistyped, or replaced by a newer one. Ask an admin for a new invitation.'],
  used: [
    410,
    'This link has been used',
    'Each link works once. Sign in with the password you chose, or ask an admin for a new invitation.',
  ],
  expired: [410, 'This link has expired', 'Invitations work for 7 days. Ask an admin for a new one.'],
} as const;

export function invitePagesRouter(deps: {
  people: PeopleStore;
  auth: PeopleAuth;
  assets: Assets;
  logger: Logger;
  publicUrl?: string;
  now: () => Date;
}): Router {
  const { people, auth, assets, now } = deps;
  const router = Router();

  // Every answer is a page, a failure too (a form too large, the store unreachable). The address holds a
  // secret: no caching, and no Referer to other sites. (Not `no-referrer`: under it a browser sends
  // `Origin: null` with the page's own form post, which the same-origin check refuses.)
  const pages = htmlPageRoutes({
    logger: deps.logger,
    what: 'a one-time link’s page',
    headers: { 'Referrer-Policy': 'same-origin' },
    page: (_status, problem) => linkProblemPage(assets, problem.heading, problem.text),
  });
  const { send } = pages;
  const dead = (res: Response, state: Exclude<LinkState['state'], 'valid'>) => {
    const [status, heading, text] = DEAD_LINKS[state];
    send(res, status, linkProblemPage(assets, heading, text));
  };
  const foreign = (req: Request, res: Response): boolean => {
    if (isSameOrigin(req.headers, deps.publicUrl)) return false;
    send(
      res,
      403,
      linkProblemPage(assets, 'This form must be sent from its own page', 'Open the link again and send the form from there.'),
    );
    return true;
  };
  const field = (req: Request, name: string): string => {
    const value = (req.body as Record<string, unknown> | undefined)?.[name];
    return typeof value === 'string' ? value : '';
  };
  const secretOf = (req: Request): string | null =>
    typeof req.params.secret === 'string' && isSecretShape(req.params.secret) ? req.params.secret : null;

  /** The invited person, or the state that makes the link dead. */
  const invited = async (secret: string | null): Promise<PersonRecord | Exclude<LinkState['state'], 'valid'>> => {
    if (!secret) return 'unknown';
    const link = await people.linkState('invite', secret, now());
    if (link.state !== 'valid') return link.state;
    const person = link.personId ? await people.get(link.personId) : null;
    return person && !person.disabled ? person : 'unknown';
  };

  router.get(
    '/invite/:secret',
    pages.route(async (req, res) => {
      const person = await invited(secretOf(req));
      if (typeof person === 'string') return dead(res, person);
      send(res, 200, invitePage(assets, { name: person.name, email: person.email, action: req.originalUrl }));
    }),
  );

  router.post(
    '/invite/:secret',
    pages.route(
      async (req, res) => {
        if (foreign(req, res)) return;
        const secret = secretOf(req);
        const person = await invited(secret);
        if (typeof person === 'string') return dead(res, person);
        const password = field(req, 'password');
        const problem = passwordProblem(password, person);
        const error = problem
          ? `The password ${problem}.`
          : password !== field(req, 'confirm')
            ? 'The two passwords differ: type the same one twice.'
            : undefined;
        if (error) return send(res, 400, invitePage(assets, { name: person.name, email: person.email, action: req.originalUrl, error }));
        const passwordHash = await hashPassword(password);
        // One write: the link used, the password set. Only one request ever gets `valid`, however many race.
        const accepted = await people.acceptInvite(secret!, passwordHash, now());
        if (accepted.link.state !== 'valid') return dead(res, accepted.link.state);
        if (!accepted.person) return dead(res, 'unknown');
        // A new invitation is also how an admin resets a password: whoever was signed in as this person
        // (with a stolen password, say) is out, sockets too, once the link is used; not when it is sent,
        // so that re-sending it never locks out a person still at work.
        await auth.endSessionsOf(person.id);
        await auth.startSession(req, res, accepted.person);
        res.redirect(303, '/editor');
      },
      { body: form },
    ),
  );

  /**
   * Whether a setup link may still be used: it is the newest one printed, valid, and there is no admin
   * account at all, enabled or not (with every admin disabled, the admin token enables one again; an
   * old link from a log must not make a new admin).
   */
  const setupState = async (secret: string | null): Promise<LinkState['state']> => {
    if (!secret) return 'unknown';
    const link = await people.linkState('setup', secret, now());
    if (link.state !== 'valid') return link.state;
    return (await people.list()).some(isAdmin) ? 'used' : 'valid';
  };

  router.get(
    '/setup/:secret',
    pages.route(async (req, res) => {
      const state = await setupState(secretOf(req));
      if (state !== 'valid') return dead(res, state);
      send(res, 200, setupPage(assets, { action: req.originalUrl }));
    }),
  );

  router.post(
    '/setup/:secret',
    pages.route(
      async (req, res) => {
        if (foreign(req, res)) return;
        const secret = secretOf(req);
        const state = await setupState(secret);
        if (state !== 'valid') return dead(res, state);
        const values = { name: field(req, 'name'), email: field(req, 'email') };
        const again = (error: string) => send(res, 400, setupPage(assets, { action: req.originalUrl, ...values, error }));
        const parsed = CreateUserSchema.pick({ name: true }).extend({ email: EmailSchema }).safeParse(values);
        if (!parsed.success) return again(`The ${String(parsed.error.issues[0].path[0] ?? 'form')} ${parsed.error.issues[0].message}.`);
        const password = field(req, 'password');
        const problem = passwordProblem(password, parsed.data);
        if (problem) return again(`The password ${problem}.`);
        if (password !== field(req, 'confirm')) return again('The two passwords differ: type the same one twice.');
        const passwordHash = await hashPassword(password);
        if (await people.findByEmail(parsed.data.email)) return again('That email already has an account: sign in on the desk instead.');
        const used = await people.useLink('setup', secret!, now());
        if (used.state !== 'valid') return dead(res, used.state);
        // One write: the account with its password and its audit entry. No failure may leave an admin
        // without a password behind a link that is already used, or an account without its entry.
        // Nobody invited the first admin: the entry names them as their own inviter, and how they came in.
        const person = await people.create(
          { ...parsed.data, role: 'admin', blogs: ['*'], passwordHash, activatedAt: now().toISOString() },
          now(),
          (created) => ({
            at: now().toISOString(),
            actor: { kind: 'person', id: created.id, name: created.name },
            action: 'person.invited',
            after: { ...userInfo(created), via: 'first-run link' },
          }),
        );
        if (!person) return again('That email already has an account: sign in on the desk instead.');
        deps.logger.info({ personId: person.id }, 'first admin account created with the setup link');
        await auth.startSession(req, res, person);
        res.redirect(303, '/editor');
      },
      { body: form },
    ),
  );

  return router;
}
