import { escapeHtml } from '../../shared/html';

export interface LayoutOptions {
  title: string;
  /** Extra `<head>` markup, already escaped. */
  head?: string;
  /** Page body markup, already escaped. */
  body: string;
  stylesheets?: string[];
  /** External scripts only: the Content-Security-Policy allows no inline script. */
  scripts?: string[];
}

/** The service's icon: a red "live" dot, inline, so no page costs a request for it (or a 404 without one). */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#b00000"/>' +
  '<circle cx="16" cy="16" r="7" fill="#fff"/></svg>';
const FAVICON_LINK = `<link rel="icon" type="image/svg+xml" href="data:image/svg+xml,${encodeURIComponent(FAVICON_SVG)}">`;

export function layout(options: LayoutOptions): string {
  const styles = (options.stylesheets ?? []).map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('');
  const scripts = (options.scripts ?? []).map((src) => `<script src="${escapeHtml(src)}" defer></script>`).join('');
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="color-scheme" content="light dark">' +
    `<title>${escapeHtml(options.title)}</title>${FAVICON_LINK}${styles}${options.head ?? ''}${scripts}</head>` +
    `<body>${options.body}</body></html>`
  );
}
