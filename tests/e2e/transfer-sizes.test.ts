/**
 * The weights the README quotes are what Chromium downloads: measured from the DevTools protocol's
 * bytes on the wire (headers and body), for the widget on another site and for the reader's page.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PUBLIC_DIR } from '../../server/assets';
import { createBlog, publish } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { startHostSite, type HostSite } from '../helpers/host-site';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('transfer');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
let host: HostSite;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ prefix }), launchBrowser()]);
  host = await startHostSite();
  await createBlog(server.url, 'weighed', 'Weighed on the wire');
  for (let i = 0; i < 20; i++)
    await publish(server.url, 'weighed', { body: `Update ${i}: the ministry said the talks would resume on **Monday**.` });
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
  await cleaner.cleanup();
});

interface Transfer {
  url: string;
  encoding?: string;
  /** Bytes received: headers and body as sent. */
  wire: number;
  /** The body once decoded. */
  decoded: number;
}

/** Opens `url` and returns what each of the service's responses cost on the wire. */
async function weigh(url: string): Promise<{ page: Page; transfers: Transfer[] }> {
  const page = await (await browser.newContext()).newPage();
  const cdp = await page.context().newCDPSession(page);
  const byId = new Map<string, Partial<Transfer>>();
  const transfers: Transfer[] = [];
  cdp.on('Network.responseReceived', ({ requestId, response }) => {
    const headers = Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    byId.set(requestId, { url: response.url, encoding: headers['content-encoding'] as string | undefined });
  });
  cdp.on('Network.dataReceived', ({ requestId, dataLength }) => {
    const entry = byId.get(requestId);
    if (entry) entry.decoded = (entry.decoded ?? 0) + dataLength;
  });
  cdp.on('Network.loadingFinished', ({ requestId, encodedDataLength }) => {
    const entry = byId.get(requestId);
    if (entry?.url?.startsWith(server.url)) transfers.push({ ...entry, wire: encodedDataLength } as Transfer);
  });
  await cdp.send('Network.enable');
  await page.goto(url);
  return { page, transfers };
}

const fileSize = (name: string) => readFileSync(path.join(PUBLIC_DIR, name)).length;

describe('what a reader downloads', () => {
  it('the widget on another site: embed.js compressed, within the 20 KB budget with its headers', async () => {
    host.pages.set('/story', `<!doctype html><div data-liveblog="weighed"></div><script src="${server.url}/embed.js" async></script>`);
    const { page, transfers } = await weigh(`${host.url}/story`);
    await page.locator('.lb-blog[data-connection="live"]').waitFor();
    const script = transfers.find((t) => t.url === `${server.url}/embed.js`)!;
    expect(['br', 'gzip']).toContain(script.encoding);
    expect(script.decoded).toBe(fileSize('embed.js'));
    expect(script.wire).toBeLessThanOrEqual(fileSize(`embed.js.${script.encoding === 'br' ? 'br' : 'gz'}`) + 1024);
    expect(script.wire).toBeLessThanOrEqual(20 * 1024);
    await page.context().close();
  });

  it("the reader's page: the page, its script and its stylesheet all compressed, a third of their size or less", async () => {
    const { page, transfers } = await weigh(`${server.url}/blogs/weighed`);
    await page.locator('.lb-blog[data-connection="live"], [data-connection="live"]').first().waitFor();
    const documentAndAssets = transfers.filter((t) => /\/blogs\/weighed$|\/assets\/reader\.(js|css)/.test(t.url));
    expect(documentAndAssets).toHaveLength(3);
    for (const transfer of documentAndAssets)
      expect({ url: transfer.url, encoding: transfer.encoding }).toEqual({
        url: transfer.url,
        encoding: 'br',
      });
    const wire = documentAndAssets.reduce((sum, t) => sum + t.wire, 0);
    const decoded = documentAndAssets.reduce((sum, t) => sum + t.decoded, 0);
    expect(wire).toBeLessThan(decoded / 3);
    await page.context().close();
  });
});
