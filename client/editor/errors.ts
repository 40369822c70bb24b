/**
 * What went wrong, in the desk's words: fields named by their labels on the page, not by the API's
 * field names, and every sentence ending in a full stop.
 */
import { ApiError } from '../lib/api';

/** The API's field names → the labels editors see. */
const FIELD_LABELS: Record<string, string> = {
  body: 'Update',
  title: 'Headline',
  author: 'Author',
  publishedAt: 'Time',
  pinned: 'Pinned',
  keyEvent: 'Key event',
  id: 'Address',
  description: 'Description',
  name: 'Holder’s name',
  blogs: 'Blogs',
  status: 'Status',
  email: 'Email',
  password: 'New password',
  currentPassword: 'Current password',
  role: 'Role',
  reason: 'Reason',
  alt: 'Alt text',
  caption: 'Caption',
  credit: 'Credit',
  file: 'Picture',
};

/** What the server's general messages mean for an editor. */
const MESSAGES: Record<string, string> = {
  invalid: 'Some fields need a change.',
  unauthorized: 'You are not signed in (the session ended, or the token is unknown or revoked).',
  forbidden: 'You may not do that here.',
  not_found: 'It no longer exists: someone may have deleted it.',
  blog_ended: 'This blog has ended: reopen it to publish.',
  payload_too_large: 'It is too long to send.',
  rate_limited: 'Too many changes in a minute: wait a moment and try again.',
  store_unavailable: 'The server’s store is unreachable right now: try again in a moment.',
};

export function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return '';
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

/** One or more sentences for a person. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return sentence(error instanceof Error ? error.message : String(error));
  const fields =
    error.status === 400 && error.details
      ? Object.entries(error.details)
          .filter(([, problem]) => typeof problem === 'string')
          .map(([field, problem]) => sentence(`${FIELD_LABELS[field] ?? (field === '_' ? '' : field)} ${String(problem)}`))
      : [];
  const message = (error.code === 'rate_limited' && rateLimited(error.retryAfter)) || MESSAGES[error.code] || sentence(error.message);
  return [fields.length ? '' : message, ...fields].filter(Boolean).join(' ');
}

/** How long a rate-limited editor waits, in words, from the answer's Retry-After; null without one. */
function rateLimited(seconds: number | undefined): string | null {
  if (!seconds) return null;
  const wait =
    seconds > 90
      ? `about ${Math.round(seconds / 60)} minutes`
      : seconds >= 45
        ? 'about a minute'
        : seconds === 1
          ? 'a second'
          : `${seconds} seconds`;
  return `Too many changes in a minute: try again in ${wait}.`;
}
