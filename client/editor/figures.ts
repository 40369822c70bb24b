/**
 * The blog's figures on the desk (GET /api/blogs/:blogId/stats, docs/figures.md): readers now (live,
 * from the desk's `blog:readers` count), the peak and when, notifications, the readers of the last
 * three hours as a chart with a table of the same figures, and readers by site. Polled every
 * REFRESH_MS while the blog is open.
 *
 * The chart is uPlot, in its own bundle (stats-chart.ts): its `<script>` is added the first time the
 * panel shows, so the desk's editor.js stays as light as before and readers never load it.
 */
import { SOCKET_EVENTS } from '../../shared/events';
import type { BlogStats } from '../../shared/schemas';
import { $, h } from '../lib/dom';
import type { ClientSocket } from '../lib/live-feed';
import { describeError } from './errors';
import type { Session } from './session';
import type { ChartPoints, LiveblogChartApi, ReadersChart } from './stats-chart';
import { shortTime } from './zones';

const REFRESH_MS = 10_000;
const WINDOW_MINUTES = 180;
/** Minutes the table lists, newest first. */
const TABLE_MINUTES = 30;
const MINUTE_MS = 60_000;

const SITE_NAMES: Record<string, string> = {
  self: 'This service’s pages',
  frame: 'Embedded frames (site not known)',
  other: 'Other sites',
};

let chartApi: Promise<LiveblogChartApi> | undefined;
/** desk-stats.js, loaded once, from the versioned URL the page names (server/assets.ts). */
function loadChart(): Promise<LiveblogChartApi> {
  chartApi ??= new Promise<LiveblogChartApi>((resolve, reject) => {
    const script = h('script', { src: $('#figures').dataset.chartSrc ?? '/assets/desk-stats.js' });
    script.onload = () => (window.liveblogChart ? resolve(window.liveblogChart) : reject(new Error('the chart did not load')));
    script.onerror = () => {
      chartApi = undefined; // try again next time
      reject(new Error('the chart could not be loaded'));
    };
    document.head.append(script);
  });
  return chartApi;
}

/** The last WINDOW_MINUTES minutes, a minute with no readers recorded as 0. */
export function chartWindow(series: BlogStats['series'], now: number): { at: number[]; readers: number[] } {
  const last = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  const first = last - (WINDOW_MINUTES - 1) * MINUTE_MS;
  const byMinute = new Map(series.map((point) => [Date.parse(point.at), point.readers]));
  const at: number[] = [];
  const readers: number[] = [];
  for (let minute = first; minute <= last; minute += MINUTE_MS) {
    at.push(minute);
    readers.push(byMinute.get(minute) ?? 0);
  }
  return { at, readers };
}

const plural = (count: number, one: string, many = `${one}s`) => `${count.toLocaleString('en-GB')} ${count === 1 ? one : many}`;

export class Figures {
  private blogId: string | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by show and stop: an answer for an earlier blog is dropped. */
  private generation = 0;
  private chart: ReadersChart | null = null;
  private readonly body = $('#figures-body');
  private readersNow: HTMLElement | null = null;

  constructor(
    private readonly session: Session,
    private readonly socket: ClientSocket,
  ) {
    // Readers now moves live with the desk's count (every 2 s at most); the rest with each poll.
    this.socket.on(SOCKET_EVENTS.readers, ({ blogId, readers }) => {
      if (blogId === this.blogId && this.readersNow) this.readersNow.textContent = readers.toLocaleString('en-GB');
    });
  }

  /** Shows `blogId`'s figures and keeps them current until another blog opens. */
  show(blogId: string): Promise<void> {
    this.stop();
    this.blogId = blogId;
    this.body.replaceChildren(h('p', { class: 'ed-hint' }, 'Loading figures…'));
    return this.refresh(this.generation);
  }

  stop(): void {
    this.generation += 1;
    clearTimeout(this.timer);
    this.chart?.destroy();
    this.chart = null;
    this.readersNow = null;
    this.blogId = null;
  }

  private async refresh(generation: number): Promise<void> {
    const blogId = this.blogId;
    if (!blogId) return;
    const since = new Date(Date.now() - WINDOW_MINUTES * MINUTE_MS).toISOString();
    try {
      const stats = await this.session.call<BlogStats>(
        'GET',
        `/api/blogs/${encodeURIComponent(blogId)}/stats?since=${encodeURIComponent(since)}`,
      );
      if (generation !== this.generation) return;
      await this.render(stats, generation);
    } catch (error) {
      if (generation !== this.generation) return;
      this.say(`Figures could not be read: ${describeError(error)}`);
    }
    if (generation === this.generation) this.timer = setTimeout(() => void this.refresh(generation), REFRESH_MS);
  }

  private say(message: string): void {
    const status = this.body.querySelector('.ed-figures-status');
    if (status) status.textContent = message;
    else this.body.replaceChildren(h('p', { class: 'ed-figures-status ed-hint', role: 'status' }, message));
  }

  private async render(stats: BlogStats, generation: number): Promise<void> {
    const points = chartWindow(stats.series, Date.now());
    const summary = this.summary(points, stats.readersNow);
    if (!this.body.querySelector('.ed-figures-chart')) await this.build(generation);
    if (generation !== this.generation) return;
    this.readersNow!.textContent = stats.readersNow.toLocaleString('en-GB');
    $('#figures-peak', this.body).textContent =
      stats.peakAt === null ? 'none yet' : `${plural(stats.peakReaders, 'reader')} at ${shortTime(stats.peakAt)}`;
    $('#figures-pushes', this.body).textContent = stats.pushesSent.toLocaleString('en-GB');
    $('#figures-subscribers', this.body).textContent = stats.subscribers.toLocaleString('en-GB');
    $('#figures-summary', this.body).textContent = summary;
    this.fillMinutes(points);
    this.fillSites(stats.embeds);
    const seconds: ChartPoints = { at: points.at.map((ms) => ms / 1000), readers: points.readers };
    try {
      if (this.chart) this.chart.update(seconds);
      else {
        const api = await loadChart();
        if (generation !== this.generation) return;
        const plot = $('#figures-plot', this.body);
        const started = performance.now();
        this.chart = api.mount(plot, seconds, (ms) => shortTime(new Date(ms).toISOString()));
        plot.dataset.mountMs = (performance.now() - started).toFixed(1);
      }
      $('.ed-figures-status', this.body).textContent = '';
    } catch (error) {
      $('.ed-figures-status', this.body).textContent =
        `The chart could not be drawn (${describeError(error)}); the table below has the same figures.`;
    }
  }

  /** "Last 3 hours: peak 900 readers at 17:45, now 683." */
  private summary(points: { at: number[]; readers: number[] }, now: number): string {
    let peak = 0;
    let peakAt = -1;
    points.readers.forEach((readers, index) => {
      if (readers > peak) [peak, peakAt] = [readers, points.at[index]!];
    });
    const hours = WINDOW_MINUTES / 60;
    return peakAt < 0
      ? `Last ${hours} hours: no readers yet, now ${now.toLocaleString('en-GB')}.`
      : `Last ${hours} hours: peak ${plural(peak, 'reader')} at ${shortTime(new Date(peakAt).toISOString())}, now ${now.toLocaleString('en-GB')}.`;
  }

  private async build(generation: number): Promise<void> {
    if (generation !== this.generation) return;
    this.readersNow = h('dd', { id: 'figures-now' });
    const figure = (label: string, value: HTMLElement) => h('div', {}, h('dt', {}, label), value);
    this.body.replaceChildren(
      h(
        'dl',
        { class: 'ed-figures-numbers' },
        figure('Readers now', this.readersNow),
        figure('Peak', h('dd', { id: 'figures-peak' })),
        figure('Notifications sent', h('dd', { id: 'figures-pushes' })),
        figure('Notification subscribers', h('dd', { id: 'figures-subscribers' })),
      ),
      h(
        'figure',
        { class: 'ed-figures-chart' },
        h('figcaption', { id: 'figures-caption' }, 'Readers per minute'),
        h('div', { id: 'figures-plot', class: 'ed-figures-plot', role: 'img', 'aria-labelledby': 'figures-caption figures-summary' }),
        h('p', { id: 'figures-summary', class: 'ed-hint' }),
      ),
      h('p', { class: 'ed-figures-status ed-hint', role: 'status' }),
      h(
        'details',
        { class: 'ed-figures-table' },
        h('summary', {}, `Readers per minute, last ${TABLE_MINUTES} minutes (table)`),
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Minute'), h('th', { scope: 'col' }, 'Readers'))),
          h('tbody', { id: 'figures-minutes' }),
        ),
      ),
      h(
        'table',
        { class: 'ed-figures-sites' },
        h('caption', {}, 'Readers now by site'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Site'), h('th', { scope: 'col' }, 'Readers now'))),
        h('tbody', { id: 'figures-sites' }),
      ),
    );
  }

  private fillMinutes(points: { at: number[]; readers: number[] }): void {
    const rows: HTMLElement[] = [];
    for (let index = points.at.length - 1; index >= Math.max(0, points.at.length - TABLE_MINUTES); index--) {
      const at = new Date(points.at[index]!).toISOString();
      rows.push(
        h('tr', {}, h('td', {}, h('time', { datetime: at }, shortTime(at))), h('td', {}, points.readers[index]!.toLocaleString('en-GB'))),
      );
    }
    $('#figures-minutes', this.body).replaceChildren(...rows);
  }

  private fillSites(embeds: BlogStats['embeds']): void {
    const rows = embeds.map((site) =>
      h('tr', {}, h('td', {}, SITE_NAMES[site.origin] ?? site.origin), h('td', {}, site.readers.toLocaleString('en-GB'))),
    );
    $('#figures-sites', this.body).replaceChildren(
      ...(rows.length ? rows : [h('tr', {}, h('td', { colspan: '2' }, 'No readers right now.'))]),
    );
  }
}
