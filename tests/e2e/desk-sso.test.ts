/**
 * Single sign-on on the desk, in Chromium, against a real OpenID provider (oidc-provider in a child
 * process, its development sign-in pages): an invited person clicks "Sign in with Newsroom ID", signs
 * in at the provider and is on the desk as herself; a provider account nobody invited, one whose email
 * the provider has not verified, and a disabled person each get the page that says why, and no session.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { request } from '../helpers/api';
import { inviteAccount, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, startOidcProvider, type OidcProvider } from '../helpers/oidc';
import { freePort } from '../helpers/process';
import { deskSuite } from './desk-harness';

let provider: OidcProvider;
// The service's port first: the provider must know the redirect URI, the service the issuer.
const desk = deskSuite('e2e-desk-sso', async () => {
  const port = await freePort();
  provider = await startOidcProvider({ redirectUri: `http://127.0.0.1:${port}/auth/oidc/callback` });
  return { port, oidc: { issuer: provider.issuer, clientId: OIDC_CLIENT_ID, clientSecret: OIDC_CLIENT_SECRET, name: 'Newsroom ID' } };
});
afterAll(async () => {
  await provider?.stop();
});

async function newPage(): Promise<Page> {
  const page = await desk.newPage();
  // The provider's development pages import Google Fonts; this machine has no internet.
  await page.route(/fonts\.googleapis\.com/, (route) => route.abort());
  return page;
}

/** From the desk, through the provider's sign-in and consent pages, back to the service. */
async function signInWithProvider(page: Page, login: string): Promise<void> {
  await page.goto(`${desk.server.url}/editor`);
  await page.getByRole('link', { name: 'Sign in with Newsroom ID' }).click();
  await page.waitForURL(`${provider.issuer}/**`);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password at the provider');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${desk.server.url}/**`);
}

const sessionCookies = async (page: Page) =>
  (await page.context().cookies(desk.server.url)).filter((cookie) => cookie.name === 'lb_session');
const sessionKeys = () => desk.server.stores.redis!.client.keys(`${desk.prefix}session:*`);

describe('the desk’s single sign-on', () => {
  it('signs an invited person in as herself: Sign in with Newsroom ID, the provider, back on the desk', async () => {
    await inviteAccount(desk.server.url, 'olena');
    const page = await newPage();
    await signInWithProvider(page, 'olena');
    expect(new URL(page.url()).pathname).toBe('/editor');
    await page.getByText('Signed in as Olena Kovalenko').waitFor();
    const me = await page.evaluate(async () => (await fetch('/api/me')).json());
    expect(me).toMatchObject({ name: 'Olena Kovalenko', email: 'olena.kovalenko@newsroom.test', kind: 'editor', source: 'session' });
    const [cookie] = await sessionCookies(page);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  });

  it.each([
    ['stranger', 'nobody invited', /No one on this desk has the email address stranger@elsewhere\.test/],
    ['ivan', 'an unverified email', /Newsroom ID has not verified the email address ivan@newsroom\.test/],
    ['dana', 'a disabled person', /The account for dana@newsroom\.test is disabled/],
  ])('refuses %s (%s) with a page that says why and leads back to the desk, signed out', async (login, _what, reason) => {
    if (login === 'ivan') await inviteAccount(desk.server.url, 'ivan', 'contributor');
    if (login === 'dana') {
      const dana = await inviteAccount(desk.server.url, 'dana');
      expect((await request(desk.server.url, 'PATCH', `/api/users/${dana.id}`, { body: { disabled: true } })).status).toBe(200);
    }
    const sessionsBefore = await sessionKeys();
    const page = await newPage();
    const answer = page.waitForResponse((response) => response.url().startsWith(`${desk.server.url}/auth/oidc/callback`));
    await signInWithProvider(page, login);
    expect((await answer).status()).toBe(403);
    await expect(page.getByRole('heading', { name: 'Not signed in' }).isVisible()).resolves.toBe(true);
    expect(await page.getByRole('alert').textContent()).toMatch(reason);
    expect(await sessionCookies(page)).toEqual([]);
    expect(await sessionKeys()).toEqual(sessionsBefore);
    await page.getByRole('link', { name: 'Back to the desk' }).click();
    await page.getByLabel('Email').waitFor();
    expect(await page.evaluate(async () => (await fetch('/api/me')).status)).toBe(401);
  });
});
