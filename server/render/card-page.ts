/**
 * The one shell of the service's small pages outside the desk: a card in the middle of the page (the
 * invitation and first-run forms, a dead link, a single sign-on that did not sign anyone in, a form
 * that could not be taken). Reader and desk stylesheets, never indexed, and a heading that names the card.
 */
import { escapeHtml } from '../../shared/html';
import type { Assets } from '../assets';
import { layout } from './layout';

/** Markup of the card, already escaped; its heading has `id="page-heading"`. */
export function cardPage(assets: Assets, title: string, body: string, options: { head?: string } = {}): string {
  return layout({
    title,
    head: `<meta name="robots" content="noindex">${options.head ?? ''}`,
    body: `<main class="ed"><section class="ed-card" aria-labelledby="page-heading">${body}</section></main>`,
    stylesheets: [assets.url('reader.css'), assets.url('editor.css')],
  });
}

/**
 * A page that says what went wrong and leads back to the desk. `text` is the reason (announced, as an
 * alert); `more` (plain text) what to know besides.
 */
export function problemPage(
  assets: Assets,
  problem: { heading: string; text: string; more?: string; back?: string },
  options: { head?: string } = {},
): string {
  const more = problem.more ? `<p>${escapeHtml(problem.more)}</p>` : '';
  return cardPage(
    assets,
    problem.heading,
    `<h1 id="page-heading">${escapeHtml(problem.heading)}</h1><p id="problem-reason" role="alert">${escapeHtml(problem.text)}</p>${more}` +
      `<p><a href="/editor">${escapeHtml(problem.back ?? 'Back to the desk')}</a></p>`,
    options,
  );
}

/** Why single sign-on did not sign the person in, and the way back to the desk. */
export function signInRefusalPage(assets: Assets, providerName: string, message: string): string {
  return problemPage(assets, {
    heading: 'Not signed in',
    text: message,
    more: `Signing in with ${providerName} works for people an admin has invited, with the email address the provider has verified.`,
  });
}
