/** What a reader's page, the iframe page and the widget show first: one read of the store for all three. */
import type { BlogView } from '../../shared/schemas';
import type { Timeline } from '../store/timeline';

/** Key events listed at the top of a blog. */
export const KEY_EVENTS_SHOWN = 20;

export type { BlogView };

export async function loadBlogView(timeline: Timeline, blogId: string, page: { limit: number; before?: string }): Promise<BlogView | null> {
  const blog = await timeline.getBlog(blogId);
  if (!blog) return null;
  const [updates, pinned, keyEvents] = await Promise.all([
    timeline.listUpdates(blogId, page),
    page.before ? null : timeline.pinnedUpdate(blogId),
    timeline.listKeyEvents(blogId, { limit: KEY_EVENTS_SHOWN }),
  ]);
  return {
    blog,
    // The pinned update leads, wherever its time would put it.
    updates: pinned ? [pinned, ...updates.updates.filter((update) => update.id !== pinned.id)] : updates.updates,
    keyEvents: keyEvents.updates,
    cursor: updates.cursor,
    ...(updates.next ? { next: updates.next } : {}),
  };
}

/** A permalink's page (`?around=`): the update among its neighbours, or null when it is not there (deleted, or never was). */
export async function loadAroundView(
  timeline: Timeline,
  blogId: string,
  updateId: string,
  limit: number,
): Promise<(BlogView & { newer: number }) | null> {
  const [blog, page, keyEvents] = await Promise.all([
    timeline.getBlog(blogId),
    timeline.listAround(blogId, updateId, limit),
    timeline.listKeyEvents(blogId, { limit: KEY_EVENTS_SHOWN }),
  ]);
  if (!blog || !page) return null;
  return {
    blog,
    updates: page.updates,
    keyEvents: keyEvents.updates,
    cursor: page.cursor,
    ...(page.next ? { next: page.next } : {}),
    newer: page.newer ?? 0,
  };
}
