/** People over HTTP, as a browser and an admin would: invite, accept on the page, sign in, send the cookie. */
import { expect } from '@jest/globals';
import type { Role } from '../../shared/permissions';
import type { UserInfo } from '../../shared/schemas';
import { request, type ApiResponse } from './api';

export const GOOD_PASSWORD = 'correct horse battery staple';

export type Invited = UserInfo & { inviteUrl: string; mailed: boolean };

export async function invite(
  url: string,
  person: { email: string; name: string; role?: Role; blogs?: string[] },
  token?: string | null,
): Promise<Invited> {
  const response = await request<Invited>(url, 'POST', '/api/users', {
    body: { role: 'editor', blogs: ['*'], ...person },
    ...(token !== undefined ? { token } : {}),
  });
  if (response.status !== 201) throw new Error(`invite: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** The `lb_session` value a response sets, or null. */
export function sessionCookieOf(headers: Headers): string | null {
  for (const line of headers.getSetCookie()) {
    const match = /^lb_session=([^;]*)/.exec(line);
    if (match && match[1]) return match[1];
  }
  return null;
}

/** Sends the invitation form as the page would (same-origin, urlencoded). */
export async function postForm(
  pageUrl: string,
  fields: Record<string, string>,
  headers: Record<string, string> = { origin: new URL(pageUrl).origin },
): Promise<Response> {
  return fetch(pageUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** Sets the password on the invitation page; the session cookie it signs in with. */
export async function accept(inviteUrl: string, password = GOOD_PASSWORD): Promise<string> {
  const response = await postForm(inviteUrl, { password, confirm: password });
  expect(response.status).toBe(303);
  expect(response.headers.get('location')).toBe('/editor');
  const cookie = sessionCookieOf(response.headers);
  expect(cookie).toBeTruthy();
  return cookie!;
}

export async function signIn(
  url: string,
  email: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; cookie: string | null; body: unknown; headers: Headers }> {
  const response = await request(url, 'POST', '/api/session', { token: null, body: { email, password }, headers });
  return { status: response.status, cookie: sessionCookieOf(response.headers), body: response.body, headers: response.headers };
}

/** A request as the desk sends it: the cookie, and (for writes) its own Origin. */
export function asPerson<T = unknown>(
  url: string,
  cookie: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const sameOrigin: Record<string, string> = method === 'GET' || method === 'HEAD' ? {} : { origin: url };
  return request<T>(url, method, path, {
    token: null,
    ...(options.body !== undefined ? { body: options.body } : {}),
    headers: { cookie: `lb_session=${cookie}`, ...sameOrigin, ...options.headers },
  });
}

/** Invites, accepts: a signed-in person's id and cookie. */
export async function signedInPerson(
  url: string,
  person: { email: string; name: string; role?: Role; blogs?: string[] },
  password = GOOD_PASSWORD,
): Promise<{ id: string; cookie: string; email: string }> {
  const invited = await invite(url, person);
  return { id: invited.id, cookie: await accept(invited.inviteUrl, password), email: invited.email };
}
