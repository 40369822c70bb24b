/**
 * The pages behind one-time links: the invitation ("choose your password", field **New password**,
 * button **Set password**) and the first run ("create the first admin", button **Create account**),
 * and what a dead link says. Plain HTML forms: they work without scripts, post to their own address and
 * end on the desk, signed in.
 */
import { escapeHtml } from '../../shared/html';
import { LIMITS } from '../../shared/limits';
import type { Assets } from '../assets';
import { cardPage, problemPage } from './card-page';

/** The address holds a secret: no Referer with it to other sites (see invite-pages.ts for why not `no-referrer`). */
export const LINK_PAGE_HEAD = '<meta name="referrer" content="same-origin">';

function page(assets: Assets, title: string, body: string): string {
  return cardPage(assets, title, body, { head: LINK_PAGE_HEAD });
}

function errorLine(error: string | undefined): string {
  return error ? `<p class="ed-error" id="form-error" role="alert">${escapeHtml(error)}</p>` : '';
}

function passwordFields(error: string | undefined): string {
  const described = error ? ' aria-describedby="password-hint form-error" aria-invalid="true"' : ' aria-describedby="password-hint"';
  return (
    `<label for="password">New password</label>` +
    `<input id="password" name="password" type="password" autocomplete="new-password" required minlength="${LIMITS.passwordMin}" maxlength="${LIMITS.passwordMax}"${described}>` +
    `<p class="ed-hint" id="password-hint">At least ${LIMITS.passwordMin} characters; not a common password, your name or your email. A few unrelated words make a good one.</p>` +
    `<label for="confirm">Confirm new password</label>` +
    `<input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="${LIMITS.passwordMin}" maxlength="${LIMITS.passwordMax}">`
  );
}

export function invitePage(assets: Assets, options: { name: string; email: string; action: string; error?: string }): string {
  return page(
    assets,
    'Choose your password',
    `<h1 id="page-heading">Welcome, ${escapeHtml(options.name)}</h1>` +
      `<p>Choose a password for <strong>${escapeHtml(options.email)}</strong> to sign in to the live blog desk.</p>` +
      `<form method="post" action="${escapeHtml(options.action)}">` +
      `<input type="hidden" name="email" value="${escapeHtml(options.email)}" autocomplete="username">` +
      passwordFields(options.error) +
      errorLine(options.error) +
      '<button type="submit">Set password</button></form>',
  );
}

export function setupPage(assets: Assets, options: { action: string; name?: string; email?: string; error?: string }): string {
  return page(
    assets,
    'Create the first admin account',
    '<h1 id="page-heading">Create the first admin account</h1>' +
      '<p>This link works once. The account you create here may invite everyone else.</p>' +
      `<form method="post" action="${escapeHtml(options.action)}">` +
      `<label for="name">Name</label><input id="name" name="name" type="text" autocomplete="name" required maxlength="${LIMITS.personName}" value="${escapeHtml(options.name ?? '')}">` +
      `<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required maxlength="${LIMITS.email}" value="${escapeHtml(options.email ?? '')}">` +
      passwordFields(options.error) +
      errorLine(options.error) +
      '<button type="submit">Create account</button></form>',
  );
}

/** A link that leads nowhere: never issued or replaced (404), used or expired (410), or refused (403). */
export function linkProblemPage(assets: Assets, heading: string, text: string): string {
  return problemPage(assets, { heading, text, back: 'Go to the desk’s sign-in' }, { head: LINK_PAGE_HEAD });
}
