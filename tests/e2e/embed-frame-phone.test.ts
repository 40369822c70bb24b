/**
 * The iframe on a phone (390 × 844), in a real Chromium: its 800 px are most of the screen, so the
 * Key events box gives way and the first updates are in view without scrolling inside the frame.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import type { Update } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { startHostSite, type HostSite } from '../helpers/host-site';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('e2e-frame-phone');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
let host: HostSite;
let latest: Update;

beforeAll(async () => {
  [server, browser, host] = await Promise.all([startServer({ prefix }), launchBrowser(), startHostSite()]);
  await createBlog(server.url, 'frame-phone', 'Ceasefire talks in Geneva: the second day');
  await request(server.url, 'PATCH', '/api/blogs/frame-phone', {
    body: { description: 'Delegations from both sides meet for a second day of talks; our correspondents follow them.' },
  });
  for (let i = 0; i < 8; i++) {
    await publish(server.url, 'frame-phone', {
      title: `Key moment ${i}: the delegations agree on a humanitarian corridor`,
      body: 'Text.',
      keyEvent: true,
      publishedAt: new Date(Date.UTC(2025, 0, 11, 6, i)).toISOString(),
    });
  }
  await publish(server.url, 'frame-phone', {
    title: 'What we know so far',
    body: 'The talks resumed at nine. Both delegations arrived early and spoke briefly to reporters. '.repeat(2),
    pinned: true,
    publishedAt: new Date(Date.UTC(2025, 0, 11, 7)).toISOString(),
  });
  latest = await publish(server.url, 'frame-phone', {
    body: 'The latest: a short break.',
    publishedAt: new Date(Date.UTC(2025, 0, 11, 8)).toISOString(),
  });
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
  await cleaner.cleanup();
});

describe('the iframe on a phone', () => {
  it('shows the latest update without scrolling inside the frame; all key events one tap away', async () => {
    host.pages.set(
      '/phone',
      `<!doctype html><html><head><meta name="viewport" content="width=device-width"></head><body style="margin:0">` +
        `<iframe id="lb" src="${server.url}/embed/frame-phone" style="width:100%;border:0;display:block" title="Live blog"></iframe>` +
        `<script>addEventListener('message', (e) => { if (e.data?.type === 'liveblog:height') document.getElementById('lb').style.height = e.data.height + 'px'; });</script></body></html>`,
    );
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage();
    await page.goto(`${host.url}/phone`);
    const frame = (await (await page.$('#lb'))!.contentFrame())!;
    await frame.locator('.lb-blog[data-connection="live"]').waitFor();
    await page.waitForFunction(() => document.getElementById('lb')!.getBoundingClientRect().height >= 700);
    const frameHeight = await page.$eval('#lb', (element) => element.getBoundingClientRect().height);
    const latestTop = await frame.$eval(`#update-${latest.id}`, (element) => element.getBoundingClientRect().top);
    // above the frame's sticky "Open the full live blog"
    const footer = await frame.$eval('.lb-frame-footer', (element) => element.getBoundingClientRect().height);
    // its time and first line, at least
    expect(latestTop + 48).toBeLessThanOrEqual(frameHeight - footer);
    const toggle = frame.locator('.lb-key-events .lb-toggle');
    expect(await toggle.textContent()).toBe('Show all 8 key events');
    await toggle.click();
    expect(await frame.locator('.lb-key-events li:visible').count()).toBe(8);
    await page.context().close();
  });
});
