/**
 * The desk's Figures panel in Chromium: readers connected (one from a host site's page) show as readers
 * now, by site, in the chart (uPlot, from desk-stats.js, loaded only when the panel shows, never part of
 * editor.js) with its accessible name, and in the table of minutes; readers now follows new readers live.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { io, type Socket } from 'socket.io-client';
import type { BlogStats } from '../../shared/schemas';
import { createBlog, request } from '../helpers/api';
import { waitFor } from '../helpers/wait';
import { deskSuite } from './desk-harness';

const desk = deskSuite('e2e-desk-figures', { reach: { statsFlushMs: 200 } });
const readers: Socket[] = [];

afterAll(() => {
  for (const socket of readers) socket.disconnect();
});

async function reader(blogId: string, origin?: string): Promise<void> {
  const socket = io(desk.server.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(origin ? { extraHeaders: { origin } } : {}),
  });
  readers.push(socket);
  await new Promise<void>((resolve, reject) => (socket.once('connect', () => resolve()), socket.once('connect_error', reject)));
  expect(await socket.timeout(5_000).emitWithAck('blog:subscribe', { blogId })).toMatchObject({ ok: true });
}

/** "17:46" in Kyiv, the desk pages' zone. */
const kyivClock = (ms: number) =>
  new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/Kyiv' }).format(new Date(ms));

describe('the desk’s Figures', () => {
  it('show readers now, by site, in an accessible chart and a table, loading the chart only then', async () => {
    const blog = await createBlog(desk.server.url, 'figures');
    await Promise.all([reader(blog.id), reader(blog.id), reader(blog.id, 'https://news.example')]);
    const stats = await waitFor(async () => {
      const answer = await request<BlogStats>(desk.server.url, 'GET', `/api/blogs/${blog.id}/stats`);
      return answer.body.readersNow === 3 ? answer.body : null;
    }, 'three readers counted');

    const scripts: string[] = [];
    const cspViolations: string[] = [];
    // Listening from before the desk loads: signing in opens the newest blog, and its Figures load the chart at once.
    const page = await desk.signIn({
      watch: (opened) => {
        opened.on('request', (sent) => {
          if (sent.resourceType() === 'script') scripts.push(new URL(sent.url()).pathname);
        });
        opened.on('console', (message) => {
          if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
        });
      },
    });
    // editor.js holds no uPlot, and the desk's page loads no chart script of its own: Figures add it when they show.
    const editorJs = (await request<string>(desk.server.url, 'GET', '/assets/editor.js', { token: null })).body;
    expect(/uplot|u-over|u-axis/i.test(editorJs)).toBe(false);
    const deskHtml = (await request<string>(desk.server.url, 'GET', '/editor', { token: null })).body;
    expect(deskHtml).not.toMatch(/<script[^>]+desk-stats/);

    await desk.chooseBlog(page, blog.id);
    const figures = page.locator('#figures');
    await figures.locator('#figures-now').getByText('3', { exact: true }).waitFor();
    const peakMinute = Math.floor(Date.parse(stats.peakAt!) / 60_000) * 60_000;
    await figures
      .locator('#figures-peak')
      .getByText(`3 readers at ${kyivClock(Date.parse(stats.peakAt!))}`)
      .waitFor();

    // The chart: a canvas hidden from screen readers inside role=img named by the caption and the summary.
    const chart = figures.getByRole('img', { name: `Readers per minute Last 3 hours: peak 3 readers at ${kyivClock(peakMinute)}, now 3.` });
    await chart.locator('canvas').first().waitFor();
    expect(await chart.locator('canvas').first().getAttribute('aria-hidden')).toBe('true');
    const painted = await chart
      .locator('canvas')
      .first()
      .evaluate((canvas: HTMLCanvasElement) => {
        const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let count = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) count += 1;
        return count;
      });
    expect(painted).toBeGreaterThan(100);
    expect(scripts.filter((path) => path === '/assets/desk-stats.js')).toHaveLength(1);
    const mountMs = Number(await figures.locator('#figures-plot').getAttribute('data-mount-ms'));
    console.log(`figures: chart mounted in ${mountMs} ms (180 minutes)`);

    // The table fallback lists the minute; the sites table names the host site.
    await figures.getByText(/Readers per minute, last 30 minutes/).click();
    const row = figures.locator('#figures-minutes tr', { hasText: kyivClock(peakMinute) });
    expect(await row.locator('td').allTextContents()).toEqual([kyivClock(peakMinute), '3']);
    const sites = await figures.locator('#figures-sites tr').evaluateAll((rows) => rows.map((tr) => tr.textContent));
    expect(sites).toEqual(['This service’s pages2', 'https://news.example1']);
    expect(await figures.locator('#figures-pushes').textContent()).toBe('0');

    // Readers now follows the desk's live count.
    await reader(blog.id);
    await figures.locator('#figures-now').getByText('4', { exact: true }).waitFor({ timeout: 10_000 });
    expect(cspViolations).toEqual([]);
  });

  it('follow the blog opened, and load the chart once', async () => {
    const [first, second] = await Promise.all([createBlog(desk.server.url, 'figures-one'), createBlog(desk.server.url, 'figures-two')]);
    await reader(second.id, 'https://other.example');
    await waitFor(
      async () => (await request<BlogStats>(desk.server.url, 'GET', `/api/blogs/${second.id}/stats`)).body.readersNow === 1,
      'one reader of the second blog',
    );
    const scripts: string[] = [];
    const page = await desk.signIn({
      watch: (opened) =>
        opened.on('request', (sent) => {
          if (new URL(sent.url()).pathname === '/assets/desk-stats.js') scripts.push(sent.url());
        }),
    });
    await desk.chooseBlog(page, first.id);
    await page.locator('#figures-sites').getByText('No readers right now.').waitFor();
    await page
      .getByRole('img', { name: /Readers per minute Last 3 hours: no readers yet, now 0\./ })
      .locator('canvas')
      .first()
      .waitFor();
    await desk.chooseBlog(page, second.id);
    await page.locator('#figures-sites').getByText('https://other.example').waitFor();
    await page
      .getByRole('img', { name: /now 1\.$/ })
      .locator('canvas')
      .first()
      .waitFor();
    expect(scripts).toHaveLength(1);
  });
});
