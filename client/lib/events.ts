/** What an event asks of a screen, read in one place for the reader's view, the widget and the desk. */
import type { Blog, BlogEvent, Update } from '../../shared/schemas';

export interface ScreenChanges {
  /** The blog itself changed (title, description, status). */
  blog?(blog: Blog): void;
  /** An update is new (`created`) or changed: show it as it is now. */
  upsert(update: Update, created: boolean): void;
  /** An update is gone. */
  remove(updateId: string): void;
}

export function applyEvent(event: BlogEvent, screen: ScreenChanges): void {
  if (event.type === 'blog.updated') {
    if (event.blog) screen.blog?.(event.blog);
  } else if (event.type === 'update.deleted') {
    if (event.updateId) screen.remove(event.updateId);
  } else if (event.update) {
    screen.upsert(event.update, event.type === 'update.created');
  }
}
