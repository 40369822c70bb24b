/** What a key event's push says: plain text only (the service worker shows it as a notification). */
import { createHash } from 'node:crypto';
import { clip } from '../../../shared/html';
import type { Blog, PushMessage, Update } from '../../../shared/schemas';
import { plainText } from '../../render/markdown';

/** Characters of the update's text a notification carries (notifications show two or three lines). */
export const PUSH_BODY_CHARS = 200;

export function pushMessage(blog: Blog, update: Update, origin: string): PushMessage {
  return {
    blogId: blog.id,
    updateId: update.id,
    title: update.title ?? blog.title,
    body: clip(plainText(update.html), PUSH_BODY_CHARS),
    // The permalink the reader's page and the feed use: the page opens at the update, however old.
    url: `${origin}/blogs/${blog.id}#update-${update.id}`,
  };
}

/**
 * The push `Topic` (RFC 8030 §5.4: at most 32 URL-safe base64 characters): per blog, so that a push
 * service holding a browser's messages while it is offline keeps only the blog's latest key event.
 */
export function pushTopic(blogId: string): string {
  return createHash('sha256').update(blogId).digest('base64url').slice(0, 32);
}
