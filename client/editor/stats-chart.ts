/**
 * The desk's readers chart, a bundle of its own (desk-stats.js, uPlot and its stylesheet: about 24 KB
 * gzipped) so that only the desk loads it, and only when its Figures panel first shows (figures.ts adds
 * the `<script>`). It sets `window.liveblogChart`, the whole of its API.
 *
 * uPlot draws on a canvas with no text a screen reader can read: the canvas is hidden from them, and
 * figures.ts gives the plot's wrapper `role="img"`, its name (the caption and a one-line summary) and a
 * table of the same figures.
 */
import uPlot from 'uplot';
import css from 'uplot/dist/uPlot.min.css';

/** Minutes (seconds since the epoch, at each minute's start) and the most readers at once in each. */
export interface ChartPoints {
  at: number[];
  readers: number[];
}

export interface ReadersChart {
  update(points: ChartPoints): void;
  destroy(): void;
}

export interface LiveblogChartApi {
  /**
   * Draws `points` into `element` (its width; it follows the element's size), the time axis labelled by
   * `clock` (the desk's: 24-hour, in its zone) rather than uPlot's own (12-hour, the browser's zone).
   */
  mount(element: HTMLElement, points: ChartPoints, clock: (ms: number) => string): ReadersChart;
}

declare global {
  interface Window {
    liveblogChart?: LiveblogChartApi;
  }
}

const HEIGHT = 220;
const MIN_WIDTH = 240;

let styled = false;
/** uPlot's stylesheet, as a constructed sheet: the desk's CSP allows no inline `<style>`. */
function addStylesheet(): void {
  if (styled) return;
  styled = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

function mount(element: HTMLElement, points: ChartPoints, clock: (ms: number) => string): ReadersChart {
  addStylesheet();
  // Colours from the desk's stylesheet (light or dark): the line is the element's colour, the axes its parent's.
  const line = getComputedStyle(element).color;
  const text = getComputedStyle(element.parentElement ?? element).color;
  const width = () => Math.max(MIN_WIDTH, element.clientWidth);
  const options: uPlot.Options = {
    width: width(),
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { y: { range: (_plot, _min, max) => [0, Math.max(5, Math.ceil(max * 1.1))] } },
    axes: [
      {
        stroke: text,
        grid: { stroke: 'rgba(128,128,128,0.2)' },
        ticks: { stroke: 'rgba(128,128,128,0.4)' },
        values: (_plot, splits) => splits.map((seconds) => clock(seconds * 1000)),
      },
      { stroke: text, grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { stroke: 'rgba(128,128,128,0.4)' }, size: 50 },
    ],
    series: [{}, { label: 'Readers', stroke: line, width: 2, fill: 'rgba(128,128,128,0.08)', points: { show: false } }],
  };
  const plot = new uPlot(options, [points.at, points.readers], element);
  for (const canvas of element.querySelectorAll('canvas')) canvas.setAttribute('aria-hidden', 'true');
  const resized = new ResizeObserver(() => plot.setSize({ width: width(), height: HEIGHT }));
  resized.observe(element);
  return {
    update: (next) => plot.setData([next.at, next.readers]),
    destroy: () => {
      resized.disconnect();
      plot.destroy();
    },
  };
}

window.liveblogChart = { mount };
