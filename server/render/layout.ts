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

export function layout(options: LayoutOptions): string {
  const styles = (options.stylesheets ?? []).map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('');
  const scripts = (options.scripts ?? []).map((src) => `<script src="${escapeHtml(src)}" defer></script>`).join('');
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<meta name="color-scheme" content="light dark">' +
    `<title>${escapeHtml(options.title)}</title>${styles}${options.head ?? ''}${scripts}</head>` +
    `<body>${options.body}</body></html>`
  );
}
