/**
 * The one-time links' pages in a real browser with scripts off: Chromium sends its own Origin with the
 * form post (what the same-origin check reads), keeps the cookie it is given, and follows the 303 to the
 * desk. A page from another site posting the same form is refused. Without a browser: what a form post
 * gets when it cannot be taken (too large, the store failing) is a page too, never the API's JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import type { Browser, BrowserContext } from 'playwright-core';
import type { AuditEntry, AuditPage, Me } from '../../shared/schemas';
import { createLogger } from '../../server/logger';
import { request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { GOOD_PASSWORD, invite, postForm, sessionCookieOf } from '../helpers/people';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('people-pages');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
const logLines: string[] = [];

beforeAll(async () => {
  const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) }));
  [server, browser] = await Promise.all([startServer({ prefix, logger }), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server.stop();
  await cleaner.cleanup();
});

/** Who the browser's cookie signs in, asked the way the desk asks. */
async function meIn(context: BrowserContext): Promise<{ status: number; body: Me | null }> {
  const response = await context.request.get(`${server.url}/api/me`);
  return { status: response.status(), body: response.ok() ? ((await response.json()) as Me) : null };
}

describe('with scripts off, in Chromium', () => {
  it('the invitation page sets the password and lands on the desk signed in; the link then says it was used', async () => {
    const invited = await invite(server.url, {
      email: 'browser@newsroom.example',
      name: 'Browser Person',
      role: 'contributor',
      blogs: ['*'],
    });
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(invited.inviteUrl);
      await page.getByLabel('New password', { exact: true }).fill(GOOD_PASSWORD);
      await page.getByLabel('Confirm new password').fill(GOOD_PASSWORD);
      await page.getByRole('button', { name: 'Set password' }).click();
      await page.waitForURL(`${server.url}/editor`);
      const cookie = (await context.cookies()).find((c) => c.name === 'lb_session')!;
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
      expect((await meIn(context)).body).toMatchObject({ kind: 'contributor', name: 'Browser Person', source: 'session' });

      const again = await page.goto(invited.inviteUrl);
      expect(again?.status()).toBe(410);
      await page.getByRole('heading', { name: 'This link has been used' }).waitFor();
    } finally {
      await context.close();
    }
  });

  it('a refused password shows why, on the same page, and the link still works', async () => {
    const invited = await invite(server.url, { email: 'weak.browser@newsroom.example', name: 'Weak' });
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(invited.inviteUrl);
      // The browser's own checks (minlength) would stop a short one: a common one of the right length goes through to the server.
      await page.getByLabel('New password', { exact: true }).fill('password1234');
      await page.getByLabel('Confirm new password').fill('password1234');
      await page.getByRole('button', { name: 'Set password' }).click();
      await page
        .getByRole('alert')
        .getByText(/most common passwords/)
        .waitFor();
      expect((await meIn(context)).status).toBe(401);
      expect((await page.request.get(invited.inviteUrl)).status()).toBe(200);
    } finally {
      await context.close();
    }
  });

  it('the first-run page makes the first admin and signs them in', async () => {
    const secret = await server.stores.people.createSetupLink(new Date(), 60_000);
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/setup/${secret}`);
      await page.getByLabel('Name').fill('Founding Editor');
      await page.getByLabel('Email').fill('founder@newsroom.example');
      await page.getByLabel('New password', { exact: true }).fill(GOOD_PASSWORD);
      await page.getByLabel('Confirm new password').fill(GOOD_PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.waitForURL(`${server.url}/editor`);
      expect((await meIn(context)).body).toMatchObject({ kind: 'admin', email: 'founder@newsroom.example', blogs: ['*'] });
    } finally {
      await context.close();
    }
  });

  it('the same form posted from a page on another origin is refused (403), and nothing changes', async () => {
    const invited = await invite(server.url, { email: 'forged.browser@newsroom.example', name: 'Forged' });
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      // Another origin (the same host under another name): a page there holding the form, aimed at the link.
      const evil = server.url.replace('127.0.0.1', 'localhost');
      await page.route(`${evil}/evil`, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body:
            `<form method="post" action="${invited.inviteUrl}"><input name="password" value="${GOOD_PASSWORD}">` +
            `<input name="confirm" value="${GOOD_PASSWORD}"><button>Go</button></form>`,
        }),
      );
      await page.goto(`${evil}/evil`);
      const [answer] = await Promise.all([page.waitForResponse(invited.inviteUrl), page.getByRole('button', { name: 'Go' }).click()]);
      expect(answer.status()).toBe(403);
      expect((await meIn(context)).status).toBe(401);
      expect((await context.request.get(invited.inviteUrl)).status()).toBe(200);
    } finally {
      await context.close();
    }
  });
});

describe('what a browser’s form post gets when it cannot be taken', () => {
  // QA#7: the parser's "too many parameters" was a 500 with an error-level log line.
  it('a form with more than 10 fields is a 400 page on the invitation and setup links, and nothing is set', async () => {
    const invited = await invite(server.url, { email: 'many.fields@newsroom.example', name: 'Many Fields' });
    const setup = `${server.url}/setup/${await server.stores.people.createSetupLink(new Date(), 60_000)}`;
    const fields = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`p${i}`, '1']));
    for (const link of [invited.inviteUrl, setup]) {
      const answer = await postForm(link, { ...fields, password: GOOD_PASSWORD, confirm: GOOD_PASSWORD });
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await answer.text()).toMatch(/The form could not be read/);
      expect(sessionCookieOf(answer.headers)).toBeNull();
    }
    expect((await fetch(invited.inviteUrl)).status).toBe(200);
    expect((await server.stores.people.get(invited.id))?.passwordHash).toBeUndefined();
  });

  it('a form too large (9 kB) is a 413 page, one in a charset not taken a 415 page, not JSON, and the link still works', async () => {
    const invited = await invite(server.url, { email: 'large.form@newsroom.example', name: 'Large Form' });
    const big = 'x'.repeat(9 * 1024);
    const answer = await postForm(invited.inviteUrl, { password: big, confirm: big });
    expect(answer.status).toBe(413);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('referrer-policy')).toBe('same-origin');
    const page = await answer.text();
    expect(page).toContain('<main class="ed"><section class="ed-card"');
    expect(page).toMatch(/The form is too large/);
    expect(sessionCookieOf(answer.headers)).toBeNull();
    // A form in a charset the parser does not take: 415, a page too.
    const foreignCharset = await postForm(
      invited.inviteUrl,
      { password: GOOD_PASSWORD, confirm: GOOD_PASSWORD },
      { origin: server.url, 'content-type': 'application/x-www-form-urlencoded; charset=koi8-r' },
    );
    expect(foreignCharset.status).toBe(415);
    expect(foreignCharset.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await foreignCharset.text()).toMatch(/The form could not be read/);
    expect((await fetch(invited.inviteUrl)).status).toBe(200);
    const person = await server.stores.people.get(invited.id);
    expect(person?.passwordHash).toBeUndefined();
  });

  it('a store failure on the invitation page is a 5xx page, not JSON; nothing is set', async () => {
    const invited = await invite(server.url, { email: 'store.failure@newsroom.example', name: 'Store Failure' });
    // The person's record made unreadable in Redis itself: the store then fails (WRONGTYPE) on every read of it.
    const key = server.stores.redis!.keys.person(invited.id);
    const fields = await cleaner.redis.hgetall(key);
    await cleaner.redis.del(key);
    await cleaner.redis.set(key, 'not a hash');
    try {
      for (const answer of [
        await fetch(invited.inviteUrl),
        await postForm(invited.inviteUrl, { password: GOOD_PASSWORD, confirm: GOOD_PASSWORD }),
      ]) {
        expect(answer.status).toBeGreaterThanOrEqual(500);
        expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
        const page = await answer.text();
        expect(page).toContain('<main class="ed"><section class="ed-card"');
        expect(page).toMatch(/Try again in a moment/);
        expect(page).not.toContain('WRONGTYPE');
        expect(sessionCookieOf(answer.headers)).toBeNull();
      }
    } finally {
      await cleaner.redis.del(key);
      await cleaner.redis.hset(key, fields);
    }
    expect((await fetch(invited.inviteUrl)).status).toBe(200);
    expect((await server.stores.people.get(invited.id))?.passwordHash).toBeUndefined();
    // Logged, without the link's secret (it is in the path).
    const log = logLines.join('');
    expect(log).toContain('a one-time link’s page failed');
    expect(log).toContain('"path":"/invite/[redacted]"');
    const secret = new URL(invited.inviteUrl).pathname.split('/').pop()!;
    expect(log).not.toContain(secret);
  });
});

describe('the first admin', () => {
  it('is created with their password in one write: a failing password write cannot leave an admin without one', async () => {
    // A server of its own: the first-run page works only while there is no admin.
    const ownPrefix = testPrefix('people-pages-first-admin');
    const own = prefixCleaner(ownPrefix);
    const first = await startServer({ prefix: ownPrefix });
    const people = first.stores.people;
    const update = people.update.bind(people);
    // A write of a password that fails (the store lost between two writes): the setup must not need one.
    people.update = async (id, patch) => {
      if (patch.passwordHash) throw new Error('the store is unreachable');
      return update(id, patch);
    };
    let answer: Response;
    let admin: Awaited<ReturnType<typeof people.findByEmail>>;
    let trail: AuditEntry[];
    try {
      const secret = await people.createSetupLink(new Date(), 60_000);
      answer = await postForm(`${first.url}/setup/${secret}`, {
        name: 'Single Write',
        email: 'single.write@newsroom.example',
        password: GOOD_PASSWORD,
        confirm: GOOD_PASSWORD,
      });
      admin = await people.findByEmail('single.write@newsroom.example');
      trail = (await request<AuditPage>(first.url, 'GET', '/api/audit')).body.entries;
    } finally {
      people.update = update;
      await first.stop();
      await own.cleanup();
    }
    expect(answer.status).toBe(303);
    expect(sessionCookieOf(answer.headers)).toBeTruthy();
    expect(admin).toMatchObject({
      role: 'admin',
      blogs: ['*'],
      activatedAt: expect.any(String),
      passwordHash: expect.stringMatching(/^\$argon2id\$/),
    });
    // Its entry in the service's trail came with it (the same write).
    expect(trail).toEqual([
      expect.objectContaining({
        action: 'person.invited',
        actor: { kind: 'person', id: admin!.id, name: 'Single Write' },
        after: expect.objectContaining({ email: 'single.write@newsroom.example', role: 'admin', via: 'first-run link' }),
      }),
    ]);
  });
});
