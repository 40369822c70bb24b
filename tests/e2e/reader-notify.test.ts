/**
 * Notify me of key events in a real Chromium. Headless Chromium cannot subscribe for real (no push
 * service to reach: docs/research/issue-15-libraries.md §5), so the page's PushManager is stubbed to
 * return a subscription the test owns (tests/helpers/push-service.ts); the service's push is decrypted
 * by the local push service and handed to the page's service worker over CDP, as a push service would.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { PushMessage } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { startHostSite, type HostSite } from '../helpers/host-site';
import { makeSubscriber, startPushService, type PushService, type Subscriber } from '../helpers/push-service';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('e2e-notify');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
let push: PushService;
let host: HostSite;

beforeAll(async () => {
  [server, browser, push, host] = await Promise.all([startServer({ prefix }), launchBrowser(), startPushService(), startHostSite()]);
  await createBlog(server.url, 'kursk', 'Kursk offensive');
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await push?.close();
  await server?.stop();
  await cleaner.cleanup();
});

/** A context whose PushManager hands out `subscriber`'s subscription (and records how it was asked). */
async function stubbedContext(subscriber: Subscriber, grant = true): Promise<BrowserContext> {
  const context = await browser.newContext();
  if (grant) await context.grantPermissions(['notifications'], { origin: server.url });
  await context.addInitScript((json) => {
    const state = window as unknown as { subscribeOptions?: unknown; subscription?: unknown };
    // A browser keeps its subscription across page loads: so does the stub, in the page's storage.
    const KEPT = 'stub-push-subscribed';
    const keep = (kept: boolean) => {
      try {
        if (kept) localStorage.setItem(KEPT, '1');
        else localStorage.removeItem(KEPT);
      } catch {
        // an opaque origin has no storage
      }
    };
    // And the key it was made with (the page compares it with the service's current one).
    const KEY = 'stub-push-key';
    const keyUsed = (): ArrayBuffer | null => {
      try {
        const stored = localStorage.getItem(KEY);
        return stored ? Uint8Array.from(atob(stored), (char) => char.charCodeAt(0)).buffer : null;
      } catch {
        return null;
      }
    };
    const make = () => ({
      ...json,
      options: { userVisibleOnly: true, applicationServerKey: keyUsed() },
      toJSON: () => ({ ...json, expirationTime: null }),
      unsubscribe: async () => {
        state.subscription = undefined;
        keep(false);
        return true;
      },
    });
    try {
      if (localStorage.getItem(KEPT)) state.subscription = make();
    } catch {
      // an opaque origin has no storage
    }
    PushManager.prototype.subscribe = async function (options?: PushSubscriptionOptionsInit) {
      state.subscribeOptions = {
        userVisibleOnly: options?.userVisibleOnly,
        keyLength: (options?.applicationServerKey as Uint8Array)?.length,
      };
      try {
        const bytes = new Uint8Array(options?.applicationServerKey as Uint8Array);
        localStorage.setItem(KEY, btoa(String.fromCharCode(...bytes)));
      } catch {
        // an opaque origin has no storage
      }
      state.subscription = make();
      keep(true);
      return state.subscription as PushSubscription;
    };
    PushManager.prototype.getSubscription = async () => (state.subscription as PushSubscription | undefined) ?? null;
  }, subscriber.subscription);
  return context;
}

const subscribers = () => cleaner.redis.hvals(`${prefix}push:{kursk}:subs`);

describe('Notify me of key events', () => {
  let page: Page;
  let subscriber: Subscriber;

  it('subscribes on the reader’s page: permission, the service worker, the subscription stored', async () => {
    subscriber = makeSubscriber(`${push.url}/push/reader`);
    page = await (await stubbedContext(subscriber)).newPage();
    await page.goto(`${server.url}/blogs/kursk`);
    await page.getByRole('button', { name: 'Notify me of key events', exact: true }).click();
    await page.getByRole('button', { name: 'Stop notifications', exact: true }).waitFor();
    await expect(page.getByRole('status').filter({ hasText: 'You will be notified' }).count()).resolves.toBe(1);
    expect((await subscribers()).map((value) => JSON.parse(value) as unknown)).toEqual([subscriber.subscription]);
    expect(await page.evaluate(() => (window as unknown as { subscribeOptions: unknown }).subscribeOptions)).toEqual({
      userVisibleOnly: true,
      keyLength: 65,
    });
  });

  it('shows the key event’s push as a notification, from the service worker', async () => {
    const cdp = await page.context().newCDPSession(page);
    const registrations: { registrationId: string; scopeURL: string }[] = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: updated }) => registrations.push(...updated));
    await cdp.send('ServiceWorker.enable');
    const key = await publish(server.url, 'kursk', { body: 'Two soldiers **captured** near Sudzha', keyEvent: true, title: 'Captured' });
    const received = await waitFor(() => push.received.find((p) => p.endpoint === subscriber.subscription.endpoint), 'the push');
    const plaintext = subscriber.decrypt(received.body);
    expect(JSON.parse(plaintext) as PushMessage).toMatchObject({ updateId: key.id, title: 'Captured' });
    const registration = await waitFor(() => registrations.find((r) => r.scopeURL === `${server.url}/push/kursk/`), 'the registration');
    // A push service delivers to an active worker: wait for it (a busy machine may still be installing it).
    await page.waitForFunction(async () => (await navigator.serviceWorker.getRegistration('/push/kursk/'))?.active?.state === 'activated');
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: server.url,
      registrationId: registration.registrationId,
      data: plaintext,
    });
    const shown = await waitFor(
      () =>
        page.evaluate(async () => {
          const worker = await navigator.serviceWorker.getRegistration('/push/kursk/');
          const notifications = (await worker?.getNotifications()) ?? [];
          return notifications.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data as unknown }))[0];
        }),
      'the notification',
      15_000,
    );
    expect(shown).toEqual({
      title: 'Captured',
      body: 'Two soldiers captured near Sudzha',
      tag: `kursk:${key.id}`,
      data: { url: `${server.url}/blogs/kursk#update-${key.id}` },
    });
  });

  it('a subscription the server dropped (a 410, a key rotation) comes back when the page is loaded again', async () => {
    await cleaner.redis.del(`${prefix}push:{kursk}:subs`);
    await page.reload();
    await page.getByRole('button', { name: 'Stop notifications', exact: true }).waitFor();
    await waitFor(async () => (await subscribers()).length === 1, 'the subscription stored again');
    expect((await subscribers()).map((value) => JSON.parse(value) as unknown)).toEqual([subscriber.subscription]);
  });

  it('a subscription made with another key (the service’s keys changed) is replaced by one with the current key', async () => {
    await page.evaluate(() => {
      (window as unknown as { subscribeOptions?: unknown }).subscribeOptions = undefined;
      localStorage.setItem('stub-push-key', btoa(String.fromCharCode(4, ...new Array<number>(64).fill(7))));
    });
    await cleaner.redis.del(`${prefix}push:{kursk}:subs`);
    await page.reload();
    await page.getByRole('button', { name: 'Stop notifications', exact: true }).waitFor();
    // Subscribed again, without a question, with the service's current key.
    await page.waitForFunction(() => (window as unknown as { subscribeOptions?: unknown }).subscribeOptions !== undefined);
    await waitFor(async () => (await subscribers()).length === 1, 'the new subscription stored');
    const current = await page.evaluate(() => localStorage.getItem('stub-push-key'));
    const served = (await request<{ publicKey: string }>(server.url, 'GET', '/api/push/public-key', { token: null })).body.publicKey;
    expect(Buffer.from(current!, 'base64').toString('base64url')).toBe(served);
  });

  it('Stop notifications unsubscribes and removes the subscription', async () => {
    await page.getByRole('button', { name: 'Stop notifications', exact: true }).click();
    await page.getByRole('button', { name: 'Notify me of key events', exact: true }).waitFor();
    await waitFor(async () => (await subscribers()).length === 0, 'the subscription removed');
    await page.context().close();
  });

  it('the service worker subscribes again when the browser replaces the subscription (pushsubscriptionchange)', async () => {
    const old = makeSubscriber(`${push.url}/push/before-change`);
    const context = await stubbedContext(old);
    try {
      const reader = await context.newPage();
      await reader.goto(`${server.url}/blogs/kursk`);
      await reader.getByRole('button', { name: 'Notify me of key events', exact: true }).click();
      await reader.getByRole('button', { name: 'Stop notifications', exact: true }).waitFor();
      await reader.waitForFunction(
        async () => (await navigator.serviceWorker.getRegistration('/push/kursk/'))?.active?.state === 'activated',
      );
      const worker = await waitFor(
        () => context.serviceWorkers().find((w) => w.url() === `${server.url}/push-sw.js`),
        'the service worker',
      );
      const renewed = makeSubscriber(`${push.url}/push/after-change`);
      // Headless Chromium has no push service to change a subscription, and CDP cannot fire the event: the
      // worker's PushManager is stubbed as the page's is, and the event dispatched to the worker's own handler.
      const asked = await worker.evaluate(
        async ({ before, after }) => {
          let options: { userVisibleOnly?: boolean; key?: number[] } = {};
          PushManager.prototype.subscribe = async function (given?: PushSubscriptionOptionsInit) {
            options = { userVisibleOnly: given?.userVisibleOnly, key: [...new Uint8Array(given?.applicationServerKey as ArrayBuffer)] };
            return { ...after, toJSON: () => after } as unknown as PushSubscription;
          };
          let done: Promise<unknown> = Promise.resolve();
          const event = Object.assign(new Event('pushsubscriptionchange'), {
            oldSubscription: { endpoint: before.endpoint, options: { applicationServerKey: null } },
            newSubscription: null,
            waitUntil: (promise: Promise<unknown>) => (done = promise),
          });
          self.dispatchEvent(event);
          await done;
          return options;
        },
        { before: old.subscription, after: renewed.subscription },
      );
      const { publicKey } = (await (await fetch(`${server.url}/api/push/public-key`)).json()) as { publicKey: string };
      expect(asked).toEqual({ userVisibleOnly: true, key: [...Buffer.from(publicKey, 'base64url')] });
      expect((await subscribers()).map((value) => JSON.parse(value) as unknown)).toEqual([renewed.subscription]);
    } finally {
      await cleaner.redis.del(`${prefix}push:{kursk}:subs`);
      await context.close();
    }
  });

  it('says so when the permission is refused, and stores nothing', async () => {
    const refused = await (await stubbedContext(makeSubscriber(`${push.url}/push/refused`), false)).newPage();
    await refused.goto(`${server.url}/blogs/kursk`);
    await refused.getByRole('button', { name: 'Notify me of key events', exact: true }).click();
    await refused.getByRole('status').filter({ hasText: 'Notifications are blocked for this site' }).waitFor();
    expect(await subscribers()).toHaveLength(0);
    await refused.context().close();
  });

  it('says it waits while the browser asks, and that a dismissed question turned nothing on', async () => {
    const context = await stubbedContext(makeSubscriber(`${push.url}/push/dismissed`), false);
    // The browser's question, answered when the test says: closing it leaves the permission `default`.
    await context.addInitScript(() => {
      const state = window as unknown as { answer?: (permission: NotificationPermission) => void };
      Notification.requestPermission = () => new Promise((resolve) => (state.answer = resolve));
    });
    const asked = await context.newPage();
    await asked.goto(`${server.url}/blogs/kursk`);
    await asked.getByRole('button', { name: 'Notify me of key events', exact: true }).click();
    await asked.getByRole('status').filter({ hasText: 'Waiting for your answer to the browser’s question…' }).waitFor();
    await asked.evaluate(() => (window as unknown as { answer: (permission: NotificationPermission) => void }).answer('default'));
    await asked
      .getByRole('status')
      .filter({ hasText: /^Notifications were not turned on\.$/ })
      .waitFor();
    expect(await asked.getByText('blocked').count()).toBe(0);
    expect(await subscribers()).toHaveLength(0);
    await context.close();
  });

  it('the widget on another site opens the reader’s page in a new tab, its button focused', async () => {
    host.pages.set('/story', `<!doctype html><div data-liveblog="kursk" id="w"></div><script src="${server.url}/embed.js" async></script>`);
    const context = await stubbedContext(makeSubscriber(`${push.url}/push/widget`));
    const page = await context.newPage();
    await page.goto(`${host.url}/story`);
    const link = page.locator('#w').getByRole('link', { name: 'Notify me of key events', exact: true });
    // Its name stays the visible text; its description says where it goes (WCAG 3.2.5).
    const description = await link.evaluate((element) =>
      (element.getAttribute('aria-describedby') ?? '')
        .split(/\s+/)
        .map((id) => (element.getRootNode() as Document | ShadowRoot).getElementById(id)?.textContent ?? '')
        .join(' ')
        .trim(),
    );
    expect(description).toBe('Opens in a new tab');
    const [popup] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await popup.waitForURL(`${server.url}/blogs/kursk?notify=1`);
    const button = popup.getByRole('button', { name: 'Notify me of key events', exact: true });
    await waitFor(() => button.evaluate((element) => element === document.activeElement), 'the button focused');
    await context.close();
  });

  it('is not offered on the in-process store, where the service sends no pushes', async () => {
    const memory = await startServer({ prefix: testPrefix('e2e-notify-memory'), store: 'memory' });
    try {
      await createBlog(memory.url, 'memory');
      const page = await (await stubbedContext(makeSubscriber(`${push.url}/push/memory`))).newPage();
      const asked = page.waitForResponse((response) => response.url().endsWith('/api/push/public-key'));
      await page.goto(`${memory.url}/blogs/memory`);
      expect((await asked).status()).toBe(503);
      await page.locator('.lb-blog[data-connection="live"]').waitFor();
      expect(await page.locator('.lb-notify').count()).toBe(0);
      await page.context().close();
    } finally {
      await memory.stop();
    }
  });
});
