/**
 * People on the API: the admin's `/api/users` (users.ts) and everyone's sign-in, password and sessions
 * (session.ts), mounted together under `/api`.
 */
import { Router } from 'express';
import { sessionRouter, type SessionDeps } from './session';
import { usersRouter, type UsersDeps } from './users';

export { DEFAULT_SIGN_IN_LIMITS, SIGN_IN_WINDOW_MS, type SignInLimits } from './session';

/** An invitation works this long, once. */
export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export type PeopleDeps = UsersDeps & SessionDeps;

export function peopleRouter(deps: PeopleDeps): Router {
  return Router().use(usersRouter(deps), sessionRouter(deps));
}
