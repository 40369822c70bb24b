/**
 * `/api/users`: the admin invites, lists, changes, disables and removes people. Each change is written
 * by the store together with its entry on the service's audit trail (one step: no change without its
 * entry). Disabling or removing a person ends their sessions; any change of their rights ends their
 * open connections on every process, so that a desk reconnects with the new rights.
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { ERROR_CODES } from '../../shared/codes';
import { CreateUserSchema, PatchUserSchema, type UserInfo } from '../../shared/schemas';
import { principalOf } from '../auth/http';
import type { PeopleAuth } from '../auth/people-auth';
import { actorOf, personPrincipalId } from '../auth/principal';
import type { Mailer } from '../mail';
import type { AuditDraft } from '../store/audit';
import { userInfo, type AuditOf, type PeopleStore, type PersonRecord } from '../store/people';
import { HttpError, notFound, parseOr400 } from './errors';
import type { Guards } from './guards';
import { jsonBody } from './json-body';
import { assertCanManagePeople } from './roles';

/** A person's id as the store makes them (`p` and 16 hex digits); anything else names nobody. */
const UserIdParam = z.string().regex(/^p[0-9a-f]{16}$/);

export interface UsersDeps {
  people: PeopleStore;
  auth: PeopleAuth;
  guards: Guards;
  mailer: Mailer | null;
  /** The service's public address, for invitation links. */
  publicOrigin: () => string;
  revoked: (principal: string) => void;
  inviteTtlMs: number;
  now: () => Date;
}

export function usersRouter(deps: UsersDeps): Router {
  const { people, auth, now } = deps;
  const { signedIn, signedInWrite } = deps.guards;
  const router = Router();

  /** The audit entry of the admin's change, from the person's record. */
  const entry =
    (res: Response, action: AuditDraft['action'], side: 'after' | 'before', extra: Partial<AuditDraft> = {}): AuditOf =>
    (person) => ({ at: now().toISOString(), actor: actorOf(principalOf(res)), action, [side]: userInfo(person), ...extra });
  /** A new link; `audited` unless the entry was written with the person (POST /users). */
  const invite = async (res: Response, person: PersonRecord, audited = true) => {
    const secret = await people.invite(person.id, now(), deps.inviteTtlMs, audited ? entry(res, 'person.invited', 'after') : undefined);
    if (!secret) throw notFound('user');
    const inviteUrl = `${deps.publicOrigin()}/invite/${secret}`;
    const mailed = deps.mailer ? await deps.mailer.sendInvitation(person, inviteUrl, actorOf(principalOf(res)).name) : false;
    return { inviteUrl, mailed };
  };
  const findPerson = async (req: Request): Promise<PersonRecord> => {
    const id = UserIdParam.safeParse(req.params.userId);
    const person = id.success ? await people.get(id.data) : null;
    if (!person) throw notFound('user');
    return person;
  };
  const notSelf = (res: Response, person: PersonRecord, doing: string) => {
    const principal = principalOf(res);
    if (principal.source === 'session' && principal.personId === person.id)
      throw new HttpError(409, ERROR_CODES.conflict, `you cannot ${doing} your own account: ask another admin (or use the admin token)`);
  };

  router.post('/users', signedInWrite, jsonBody, async (req, res) => {
    assertCanManagePeople(res);
    const input = parseOr400(CreateUserSchema, req.body, 'user');
    // The person and their entry in one write; the link follows (a lost one is replaced with POST …/invite).
    const person = await people.create(input, now(), entry(res, 'person.invited', 'after'));
    if (!person)
      throw new HttpError(409, ERROR_CODES.conflict, `${input.email} already has an account`, { email: 'already has an account' });
    const { inviteUrl, mailed } = await invite(res, person, false);
    res.status(201).setHeader('Cache-Control', 'no-store');
    res.json({ ...userInfo(person), inviteUrl, mailed });
  });

  router.get('/users', signedIn, async (_req, res) => {
    assertCanManagePeople(res);
    const users: UserInfo[] = (await people.list()).map(userInfo);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ users });
  });

  router.get('/users/:userId', signedIn, async (req, res) => {
    assertCanManagePeople(res);
    res.setHeader('Cache-Control', 'no-store');
    res.json(userInfo(await findPerson(req)));
  });

  // A new link when the first one expired or was lost: the previous one stops working.
  router.post('/users/:userId/invite', signedInWrite, async (req, res) => {
    assertCanManagePeople(res);
    const person = await findPerson(req);
    if (person.disabled) throw new HttpError(409, ERROR_CODES.conflict, 'this account is disabled: enable it first');
    const { inviteUrl, mailed } = await invite(res, person);
    res.status(201).setHeader('Cache-Control', 'no-store');
    res.json({ ...userInfo(person), inviteUrl, mailed });
  });

  router.patch('/users/:userId', signedInWrite, jsonBody, async (req, res) => {
    assertCanManagePeople(res);
    const patch = parseOr400(PatchUserSchema, req.body, 'user');
    const before = await findPerson(req);
    if (patch.disabled === true || (patch.role && patch.role !== 'admin')) notSelf(res, before, patch.disabled ? 'disable' : 'demote');
    const after = await people.update(before.id, patch, entry(res, 'person.changed', 'after', { before: userInfo(before) }));
    if (!after) throw notFound('user');
    if (patch.disabled === true && !before.disabled) await auth.endSessionsOf(after.id);
    // Their open connections end, on every process; a desk still allowed back reconnects with its new rights.
    if (patch.disabled !== undefined || patch.role !== undefined || patch.blogs !== undefined) deps.revoked(personPrincipalId(after.id));
    res.setHeader('Cache-Control', 'no-store');
    res.json(userInfo(after));
  });

  router.delete('/users/:userId', signedInWrite, async (req, res) => {
    assertCanManagePeople(res);
    const person = await findPerson(req);
    notSelf(res, person, 'remove');
    const removed = await people.remove(person.id, entry(res, 'person.removed', 'before'));
    if (!removed) throw notFound('user');
    await auth.endSessionsOf(person.id);
    deps.revoked(personPrincipalId(person.id));
    res.status(204).end();
  });

  return router;
}
