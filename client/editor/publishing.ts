/**
 * Publishing exactly once what the editor last wrote, however the network fails.
 *
 * A publish whose answer never came may or may not have been stored. The desk keeps, with the draft, the
 * Idempotency-Key of its attempts and every content sent under it without a definite answer
 * (`unresolved`, written before the request leaves). The next publish sends the current content under
 * the same key, and the server decides:
 * - nothing was stored under the key: the current content is stored (201), once;
 * - the same content was stored: the server replays it (201), nothing new;
 * - a different, earlier content was stored (409 `conflict`): the desk replays each unresolved content
 *   with the key until one answers — that is the entry readers have — and corrects it to the current
 *   content (PATCH with If-Match). Readers get the corrected text, in one entry, never a second one;
 * - the entry made under the key has been deleted since (409 for every replay): the desk says so and
 *   starts a fresh key; publishing again publishes the content anew (a takedown is never undone unasked).
 * So a key is never taken as a promise that changed text was published: the server compares content.
 */
import type { Update } from '../../shared/schemas';
import { ApiError } from '../lib/api';
import type { Session } from './session';
import type { EntryContent } from './storage';

export interface PublishChain {
  key: string;
  unresolved: EntryContent[];
}

export type Published =
  /** Stored with this content (now, or by an earlier attempt of the same content). */
  | { kind: 'created'; update: Update }
  /** An earlier attempt with other content had been published: it now reads as asked. */
  | { kind: 'corrected'; update: Update; earlier: Update };

/** Most unresolved contents kept: an editor retrying more often than this without one answer is offline. */
const UNRESOLVED_MAX = 10;

export function newChain(): PublishChain {
  return { key: crypto.randomUUID(), unresolved: [] };
}

export const sameContent = (a: EntryContent, b: EntryContent) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

function canonical(content: EntryContent): unknown[] {
  return [content.body, content.title ?? null, content.author ?? null, content.publishedAt ?? null, content.pinned, content.keyEvent];
}

/** True when a failed request may have been stored: no answer, or the server could not say. */
export function outcomeUnknown(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 0 || error.status >= 500);
}

/**
 * Publishes `content` under `chain` (changed in place: `save` is called whenever it changes, so that the
 * saved draft always knows what may be on the server).
 */
export async function publishContent(
  session: Session,
  blogId: string,
  content: EntryContent,
  chain: PublishChain,
  save: () => void,
): Promise<Published> {
  const post = (sent: EntryContent, key: string) =>
    session.call<Update>('POST', `/api/blogs/${blogId}/updates`, { body: sent, headers: { 'Idempotency-Key': key } });
  if (!chain.unresolved.some((sent) => sameContent(sent, content))) {
    chain.unresolved = [...chain.unresolved, content].slice(-UNRESOLVED_MAX);
    save();
  }
  try {
    return { kind: 'created', update: await post(content, chain.key) };
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409 && error.code === 'conflict')) {
      if (!outcomeUnknown(error)) forget(chain, content, save); // refused: nothing stored under the key by it
      throw error;
    }
  }
  // The key holds an earlier attempt: find which, and correct it.
  for (const earlier of [...chain.unresolved].reverse()) {
    if (sameContent(earlier, content)) continue;
    let stored: Update;
    try {
      stored = await post(earlier, chain.key);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) continue; // not this one
      throw error;
    }
    const update = await session.call<Update>('PATCH', `/api/blogs/${blogId}/updates/${stored.id}`, {
      body: {
        body: content.body,
        title: content.title ?? null,
        author: content.author ?? null,
        ...(content.publishedAt ? { publishedAt: content.publishedAt } : {}),
        pinned: content.pinned,
        keyEvent: content.keyEvent,
      },
      headers: { 'If-Match': `"${stored.version}"` },
    });
    return { kind: 'corrected', update, earlier: stored };
  }
  // What the key made has been deleted since, perhaps by an editor taking it down: the desk does not
  // put it back on its own. A new chain publishes it anew, if the editor presses Publish again.
  Object.assign(chain, newChain());
  save();
  throw new Error(
    'an earlier attempt of this entry was published and has since been deleted, perhaps by another editor. Press Publish again to publish it anew',
  );
}

function forget(chain: PublishChain, content: EntryContent, save: () => void): void {
  chain.unresolved = chain.unresolved.filter((sent) => !sameContent(sent, content));
  save();
}
