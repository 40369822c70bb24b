/**
 * Single sign-on on the desk, in Chromium, against a real OpenID provider (oidc-provider in a child
 * process, its development sign-in pages): an invited person clicks "Sign in with Newsroom ID", signs
 * in at the provider and is on the desk as herself; a provider account nobody invited, one whose email
 * the provider has not verified, and a disabled person each get the page that says why, and no session.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { UserInfo } from '../../shared/schemas';
import { request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, startOidcProvider, type OidcProvider } from '../helpers/oidc';
import { freePort } from '../helpers/process';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('e2e-desk-sso');
const cleaner = prefixCleaner(prefix);
let provider: OidcProvider;
let server: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

const ACCOUNTS = {
  olena: { email: 'olena@newsroom.test', email_verified: true, name: 'Olena at the provider' },
  stranger: { email: 'stranger@elsewhere.test', email_verified: true, name: 'Stranger' },
  ivan: { email: 'ivan@newsroom.test', email_verified: false, name: 'Ivan' },
  dana: { email: 'dana@newsroom.test', email_verified: true, name: 'Dana' },
};

async function invite(email: string, name: string, role = 'editor'): Promise<UserInfo> {
  const response = await request<UserInfo>(server.url, 'POST', '/api/users', { body: { email, name, role, blogs: ['*'] } });
  expect(response.status).toBe(201);
  return response.body;
}

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ timezoneId: 'Europe/Kyiv', viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // The provider's development pages import Google Fonts; this machine has no internet.
  await page.route(/fonts\.googleapis\.com/, (route) => route.abort());
  return page;
}

/** From the desk, through the provider's sign-in and consent pages, back to the service. */
async function signInWithProvider(page: Page, login: string): Promise<void> {
  await page.goto(`${server.url}/editor`);
  await page.getByRole('link', { name: 'Sign in with Newsroom ID' }).click();
  await page.waitForURL(`${provider.issuer}/**`);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password at the provider');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${server.url}/**`);
}

const sessionCookies = async (page: Page) => (await page.context().cookies(server.url)).filter((cookie) => cookie.name === 'lb_session');
const sessionKeys = () => cleaner.redis.keys(`${prefix}session:*`);

beforeAll(async () => {
  const port = await freePort();
  provider = await startOidcProvider({ redirectUri: `http://127.0.0.1:${port}/auth/oidc/callback`, accounts: ACCOUNTS });
  [server, browser] = await Promise.all([
    startServer({
      prefix,
      port,
      oidc: { issuer: provider.issuer, clientId: OIDC_CLIENT_ID, clientSecret: OIDC_CLIENT_SECRET, name: 'Newsroom ID' },
    }),
    launchBrowser(),
  ]);
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
  expect(pageErrors.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await provider?.stop();
  await cleaner.cleanup();
});

describe('the desk’s single sign-on', () => {
  it('signs an invited person in as herself: Sign in with Newsroom ID, the provider, back on the desk', async () => {
    await invite('olena@newsroom.test', 'Olena Kovalenko');
    const page = await newPage();
    await signInWithProvider(page, 'olena');
    expect(new URL(page.url()).pathname).toBe('/editor');
    await page.getByText('Signed in as Olena Kovalenko').waitFor();
    const me = await page.evaluate(async () => (await fetch('/api/me')).json());
    expect(me).toMatchObject({ name: 'Olena Kovalenko', email: 'olena@newsroom.test', kind: 'editor', source: 'session' });
    const [cookie] = await sessionCookies(page);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  });

  it.each([
    ['stranger', 'nobody invited', /No one on this desk has the email address stranger@elsewhere\.test/],
    ['ivan', 'an unverified email', /Newsroom ID has not verified the email address ivan@newsroom\.test/],
    ['dana', 'a disabled person', /The account for dana@newsroom\.test is disabled/],
  ])('refuses %s (%s) with a page that says why and leads back to the desk, signed out', async (login, _what, reason) => {
    if (login === 'ivan') await invite('ivan@newsroom.test', 'Ivan Petrenko', 'contributor');
    if (login === 'dana') {
      const dana = await invite('dana@newsroom.test', 'Dana Shevchenko');
      expect((await request(server.url, 'PATCH', `/api/users/${dana.id}`, { body: { disabled: true } })).status).toBe(200);
    }
    const sessionsBefore = await sessionKeys();
    const page = await newPage();
    const answer = page.waitForResponse((response) => response.url().startsWith(`${server.url}/auth/oidc/callback`));
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
