/**
 * The desk's search: the updates of a blog whose text, headline or author holds a phrase (or whose id is
 * it), newest first. Written over `listUpdates`, so that both stores have it and neither keeps an
 * index: a blog has thousands of updates, not millions, and only editors search.
 */
import { updateOrderKey } from '../../shared/order';
import type { Update, UpdatePage } from '../../shared/schemas';
import type { PageRequest, Timeline } from './timeline';

/** Updates one request reads at most; when it stops short, `next` lets the caller read on. */
export const SEARCH_SCAN = 2_000;
const CHUNK = 200;

export async function searchUpdates(timeline: Timeline, blogId: string, phrase: string, page: PageRequest): Promise<UpdatePage> {
  const needle = phrase.toLocaleLowerCase();
  const matches = (update: Update) =>
    update.id === phrase || [update.body, update.title, update.author].some((text) => text?.toLocaleLowerCase().includes(needle));
  const found: Update[] = [];
  let before = page.before;
  let cursor: string | undefined;
  let scanned = 0;
  for (;;) {
    const chunk = await timeline.listUpdates(blogId, { limit: CHUNK, before });
    cursor ??= chunk.cursor;
    for (const [i, update] of chunk.updates.entries()) {
      scanned++;
      before = updateOrderKey(update.publishedAt, update.id);
      if (matches(update)) found.push(update);
      if (found.length === page.limit || scanned === SEARCH_SCAN) {
        const more = i < chunk.updates.length - 1 || chunk.next !== undefined;
        return { updates: found, cursor, ...(more ? { next: before } : {}) };
      }
    }
    if (!chunk.next) return { updates: found, cursor };
  }
}
