import type { Update } from '../../shared/schemas';

/**
 * What the desk keeps in the browser. The token lives in sessionStorage (this tab only, gone when it
 * closes); drafts (of new entries and of corrections) and the author's name in localStorage, so a reload or a crashed tab loses nothing.
 */
export interface Draft {
  title: string;
  body: string;
  timeMode: 'now' | 'set';
  /** `datetime-local` value, on the clocks of `zone`. */
  time: string;
  /** The zone `time` is read in. @default the browser's */
  zone?: string;
  keyEvent: boolean;
  pinned: boolean;
  /** Sent as Idempotency-Key, with what was sent under it: see PublishChain. */
  idempotencyKey: string;
  /** What was sent under `idempotencyKey` without a definite answer (see PublishChain). */
  unresolved?: EntryContent[];
}

/** What one publish sends: an update's content as the API takes it. */
export interface EntryContent {
  body: string;
  title?: string;
  author?: string;
  publishedAt?: string;
  pinned: boolean;
  keyEvent: boolean;
}

/** A correction being written in an entry's edit form, kept until it is saved or given up. */
export interface EditDraft {
  /** The version the form started from (its If-Match). */
  base: Update;
  title: string;
  body: string;
  author: string;
  /** `datetime-local` value, on the clocks of `zone`. */
  time: string;
  zone: string;
  keyEvent: boolean;
  pinned: boolean;
}

const TOKEN = 'liveblog:token';
const AUTHOR = 'liveblog:author';
const LAST_BLOG = 'liveblog:blog';
const draftKey = (blogId: string) => `liveblog:draft:${blogId}`;
const editKey = (blogId: string, updateId: string) => `liveblog:edit:${blogId}:${updateId}`;

function read(storage: Storage, key: string): string | null {
  try {
    return storage.getItem(key);
  } catch {
    return null; // storage disabled: the desk still works, it just remembers nothing
  }
}

function write(storage: Storage, key: string, value: string | null): void {
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch (error) {
    console.warn('[liveblog] could not save to browser storage', error);
  }
}

export const stored = {
  token: () => read(sessionStorage, TOKEN),
  setToken: (token: string | null) => write(sessionStorage, TOKEN, token),
  author: () => read(localStorage, AUTHOR) ?? '',
  setAuthor: (author: string) => write(localStorage, AUTHOR, author),
  lastBlog: () => read(localStorage, LAST_BLOG),
  setLastBlog: (blogId: string) => write(localStorage, LAST_BLOG, blogId),
  draft(blogId: string): Draft | null {
    const raw = read(localStorage, draftKey(blogId));
    if (!raw) return null;
    try {
      return JSON.parse(raw) as Draft;
    } catch {
      return null; // a draft we cannot read is one we cannot restore
    }
  },
  setDraft: (blogId: string, draft: Draft | null) => write(localStorage, draftKey(blogId), draft ? JSON.stringify(draft) : null),
  editDraft(blogId: string, updateId: string): EditDraft | null {
    const raw = read(localStorage, editKey(blogId, updateId));
    if (!raw) return null;
    try {
      return JSON.parse(raw) as EditDraft;
    } catch {
      return null; // a draft we cannot read is one we cannot restore
    }
  },
  setEditDraft: (blogId: string, updateId: string, draft: EditDraft | null) =>
    write(localStorage, editKey(blogId, updateId), draft ? JSON.stringify(draft) : null),
};
