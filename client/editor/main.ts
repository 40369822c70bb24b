/** The editors' desk: sign in, choose or create a blog, then write, correct and manage it live. */
import { SOCKET_EVENTS } from '../../shared/events';
import type { Blog, BlogEvent, Me, UpdatePage } from '../../shared/schemas';
import { $, h } from '../lib/dom';
import { LiveFeed, type ClientSocket } from '../lib/live-feed';
import { connectSocket } from '../lib/socket';
import { Access } from './access';
import { Account } from './account';
import { BlogHistory } from './audit';
import { BlogPanel } from './blog-panel';
import { Composer } from './composer';
import { ConnectionState } from './connection';
import { Figures } from './figures';
import { DESK_PAGE, Entries } from './entries';
import { describeError } from './errors';
import { PendingQueue } from './pending';
import { People } from './people';
import { insertPicture, PictureDialog, takePictures } from './picture-dialog';
import { Pictures } from './pictures';
import { Presence } from './presence';
import { endSession, resumeSession, Session, signInProblem, signInWithPassword, signInWithToken } from './session';
import { stored } from './storage';
import { Webhooks } from './webhooks';
import { zoneNames } from './zones';

/**
 * Puts a section's `<template>` into the page: parts of the desk that hold fields named like the sign-in
 * form's (Email, New password) exist only once someone is signed in, so every label names one field.
 */
function stamp(sectionId: string): void {
  const template = $<HTMLTemplateElement>(`${sectionId} > template`);
  template.replaceWith(template.content.cloneNode(true));
}

let busyWith = 0;

/**
 * The desk is `aria-busy` while `work` runs (signing in, opening a blog: its panels fill in and the page
 * still moves under the reader's pointer, and a test's); of several at once, until the last has settled.
 */
function whileBusy(work: Promise<unknown>): Promise<unknown> {
  const desk = $('#desk');
  busyWith += 1;
  desk.setAttribute('aria-busy', 'true');
  return work.finally(() => {
    busyWith -= 1;
    if (busyWith === 0) desk.removeAttribute('aria-busy');
  });
}

class Desk {
  private readonly composer: Composer;
  private readonly entries: Entries;
  private readonly access: Access | null;
  private readonly people: People | null;
  private readonly pending: PendingQueue;
  private readonly history: BlogHistory | null;
  private readonly figures: Figures | null;
  private readonly webhooks: Webhooks | null;
  private readonly panel: BlogPanel;
  private readonly pictures: Pictures;
  private readonly socket: ClientSocket;
  private readonly select = $<HTMLSelectElement>('#blog-select');
  private blogs: Blog[] = [];
  private blog: Blog | null = null;
  private feed: LiveFeed | null = null;
  private openSeq = 0;
  /** The open blog's panels that load after it shows (approval queue, pictures, figures). */
  private loading: Promise<unknown> = Promise.resolve();

  constructor(private readonly session: Session) {
    // A person's socket carries the session cookie (same origin); a token goes in the handshake.
    this.socket = connectSocket(undefined, session.token ? { token: session.token } : undefined);
    this.pending = new PendingQueue(session, this.socket);
    this.composer = new Composer(
      session,
      () => this.blog,
      (entry) => this.pending.upsert(entry),
    );
    const body = $<HTMLTextAreaElement>('#entry-body');
    this.pictures = new Pictures(session, (markdown) => insertPicture(body, markdown));
    const pictureDialog = new PictureDialog(session, (blogId) => this.pictures.refresh(blogId));
    takePictures(
      pictureDialog,
      { textarea: body, button: $('#add-picture'), input: $('#picture-input'), note: $('#picture-note') },
      () => this.blog?.id ?? null,
    );
    this.entries = new Entries(session, new Presence(session, this.socket), pictureDialog);
    this.access = session.isAdmin ? new Access(session) : null;
    if (session.canManagePeople) stamp('#people');
    this.people = session.canManagePeople ? new People(session) : null;
    this.history = session.contributes ? null : new BlogHistory(session);
    this.figures = session.contributes ? null : new Figures(session, this.socket);
    this.webhooks = session.isAdmin ? new Webhooks(session) : null;
    if (session.isPerson) {
      stamp('#account');
      new Account(session);
    }
    this.panel = new BlogPanel(session, (blog) =>
      this.apply({ blogId: blog.id, cursor: blog.cursor, prev: '', type: 'blog.updated', blog }),
    );
    const connection = new ConnectionState(this.socket);
    session.onReachability = (reachable) => connection.request(reachable);
    this.socket.on(SOCKET_EVENTS.readers, ({ blogId, readers }) => {
      if (blogId !== this.blog?.id) return;
      $('#readers').textContent = String(readers);
      $('#readers-label').textContent = readers === 1 ? 'reader' : 'readers';
    });
    this.socket.on('connect_error', (error) => {
      if (/unknown or revoked|unauthori|session/i.test(error.message)) void this.checkSignedIn();
    });
    // The server ends a socket whose session or person was ended (signed out elsewhere, disabled).
    this.socket.on('disconnect', (reason) => {
      if (reason === 'io server disconnect') void this.checkSignedIn(true);
    });
    this.select.addEventListener('change', () => void whileBusy(this.open(this.select.value).then(() => this.loading)));
    const toggle = $<HTMLButtonElement>('#new-blog');
    toggle.hidden = !session.canCreateBlogs;
    toggle.addEventListener('click', () => this.showNewBlogForm(toggle.getAttribute('aria-expanded') !== 'true'));
    $<HTMLFormElement>('#new-blog-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.createBlog();
    });
    $('#entry-zone-list').replaceChildren(...zoneNames().map((zone) => h('option', { value: zone })));
  }

  async start(): Promise<void> {
    this.blogs = await this.session.editableBlogs();
    this.fillSelect();
    const preferred = this.blogs.find((blog) => blog.id === stored.lastBlog()) ?? this.blogs[0];
    if (preferred) await this.open(preferred.id);
    // Signed in, the editor is here to write: the Update box has the focus (not the page, where the sign-in form was).
    if (this.blog) $('#entry-body').focus();
    else if (this.session.canCreateBlogs) {
      $('#desk-status').textContent = 'No blog yet: create one with New blog.';
      $('#new-blog').focus();
    } else {
      $('#desk-status').textContent =
        `${this.session.isPerson ? 'You' : 'Your token'} may not write to any blog yet: ask an admin to add one.`;
    }
    await Promise.all([this.access?.show(this.blog?.id), this.people?.show(this.blog?.id), this.webhooks?.show(), this.loading]);
  }

  /**
   * After the server refused or ended the socket: a 401 from /api/me signs out (Session.call). When the
   * person's role or blogs changed (the server ends their connections then), the desk is built again for
   * the new rights (drafts and open corrections are kept in this browser); else it reconnects.
   */
  private async checkSignedIn(reconnect = false): Promise<void> {
    try {
      const me = await this.session.call<Me>('GET', '/api/me');
      const change = rightsChange(this.session.me, me);
      if (change) rebuild(change);
      else if (reconnect) this.socket.connect();
    } catch {
      // Signed out by the call on a 401; otherwise the connection state says the server is unreachable.
    }
  }

  private fillSelect(): void {
    this.select.replaceChildren(
      ...this.blogs.map((blog) => h('option', { value: blog.id }, `${blog.title}${blog.status === 'ended' ? ' (ended)' : ''}`)),
    );
    if (this.blog) this.select.value = this.blog.id;
  }

  /** Opens `blogId`; of several opens in flight (a quick change of blog), only the last one shows. */
  private async open(blogId: string): Promise<void> {
    const seq = ++this.openSeq;
    this.feed?.stop();
    this.feed = null;
    const status = $('#desk-status');
    let blog: Blog;
    let page: UpdatePage;
    try {
      [blog, page] = await Promise.all([
        this.session.call<Blog>('GET', `/api/blogs/${blogId}`),
        this.session.call<UpdatePage>('GET', `/api/blogs/${blogId}/updates?limit=${DESK_PAGE}`),
      ]);
    } catch (error) {
      if (seq !== this.openSeq) return;
      status.textContent = `Could not open this blog: ${describeError(error)} Choose it again to retry.`;
      return;
    }
    if (seq !== this.openSeq) return; // another blog was chosen meanwhile
    status.textContent = '';
    this.blog = blog;
    stored.setLastBlog(blogId);
    this.select.value = blogId;
    const editor = this.session.canEdit(blogId);
    for (const id of ['#composer', '#entries', '#pending', '#pictures']) $(id).hidden = false;
    $('#blog-panel').hidden = $('#blog-history').hidden = $('#figures').hidden = !editor;
    // A contributor has no This blog panel: no skip link to it either.
    $('.ed-skip a[href="#blog-panel"]').hidden = !editor;
    $('#readers').textContent = '0';
    this.showBlog(blog);
    this.panel.clearStatus();
    this.composer.setBlog(blog);
    this.entries.show(blogId, page);
    this.history?.show(blogId);
    this.loading = Promise.allSettled([
      this.pending.show(blogId),
      this.pictures.show(blogId),
      editor ? this.figures?.show(blogId) : undefined,
    ]);
    this.feed = new LiveFeed(this.socket, blogId, page.cursor, {
      onEvents: (events) => events.forEach((event) => this.apply(event)),
      onExpired: () => void this.open(blogId),
    });
  }

  private apply(event: BlogEvent): void {
    if (event.type === 'blog.updated' && event.blog) {
      this.blog = event.blog;
      this.blogs = this.blogs.map((blog) => (blog.id === event.blog!.id ? event.blog! : blog));
      this.fillSelect();
      this.showBlog(event.blog);
      this.composer.showBlogStatus();
      return;
    }
    this.entries.apply(event);
  }

  private showBlog(blog: Blog): void {
    $<HTMLAnchorElement>('#reader-link').href = `/blogs/${blog.id}`;
    this.panel.show(blog);
  }

  private async createBlog(): Promise<void> {
    const error = $('#new-blog-error');
    error.textContent = '';
    const description = $<HTMLTextAreaElement>('#new-blog-description').value.trim();
    try {
      const blog = await this.session.call<Blog>('POST', '/api/blogs', {
        body: {
          id: $<HTMLInputElement>('#new-blog-id').value.trim(),
          title: $<HTMLInputElement>('#new-blog-title').value.trim(),
          ...(description ? { description } : {}),
        },
      });
      $<HTMLFormElement>('#new-blog-form').reset();
      this.showNewBlogForm(false);
      this.blogs = [blog, ...this.blogs];
      this.fillSelect();
      await this.open(blog.id);
    } catch (failure) {
      error.textContent = describeError(failure);
    }
  }

  private showNewBlogForm(show: boolean): void {
    $('#new-blog').setAttribute('aria-expanded', String(show));
    $('#new-blog-form').hidden = !show;
    if (show) $('#new-blog-id').focus();
  }

  stop(): void {
    this.feed?.stop();
    this.figures?.stop();
    this.socket.disconnect();
  }
}

let desk: Desk | null = null;
let leaving = false;

const RIGHTS_CHANGED = 'liveblog:rightsChanged';
const ROLE_WORDS: Record<Me['kind'], string> = {
  admin: 'you publish, edit and approve entries on every blog, and manage People and Access',
  editor: 'you publish, edit and approve entries',
  contributor: 'entries you send wait for approval',
};

/** What changed in words, when an admin changed this person's role or blogs; null when nothing did. */
function rightsChange(before: Me, after: Me): string | null {
  const blogs = (me: Me) => [...me.blogs].sort().join(',');
  if (before.kind !== after.kind) return `Your role is now ${after.kind}: ${ROLE_WORDS[after.kind]}.`;
  if (blogs(before) !== blogs(after)) {
    const list = after.blogs.includes('*') ? 'every blog' : after.blogs.join(', ') || 'no blog';
    return `An admin changed your blogs: you now work on ${list}.`;
  }
  return null;
}

/** The desk again, for new rights: a fresh page reads them; drafts stay in this browser. */
function rebuild(message: string): void {
  if (leaving) return;
  leaving = true;
  desk?.stop();
  desk = null;
  sessionStorage.setItem(RIGHTS_CHANGED, message);
  location.reload();
}

function signOut(reason = ''): void {
  if (leaving) return; // several calls may fail at once: one reload
  leaving = true;
  stored.setToken(null);
  desk?.stop();
  desk = null;
  // A fresh page drops every listener and piece of state that belonged to the old session.
  sessionStorage.setItem('liveblog:signedOutReason', reason);
  location.reload();
}

async function enter(session: Session): Promise<void> {
  if (session.token) stored.setToken(session.token);
  // Gone, not hidden: its Email and Password name no other field of the desk (signing out reloads the page).
  $('#sign-in').remove();
  $('#desk').hidden = false;
  $('#sign-out').hidden = false;
  $('#who').textContent = `Signed in as ${session.me.name} (${session.role})`;
  $('#sign-out').addEventListener('click', () => {
    // A person's session ends on the server (every tab); a token simply leaves this tab.
    const ending = session.isPerson ? endSession().catch((error: unknown) => console.warn('[liveblog] sign-out', error)) : null;
    void Promise.resolve(ending).then(() => signOut('You have signed out.'));
  });
  desk = new Desk(session);
  await whileBusy(desk.start());
  const changed = sessionStorage.getItem(RIGHTS_CHANGED);
  sessionStorage.removeItem(RIGHTS_CHANGED);
  // Said above whatever the desk said on opening ("… may not write to any blog yet").
  const status = $('#desk-status');
  if (changed) status.textContent = [changed, status.textContent].filter(Boolean).join(' ');
}

function boot(): void {
  const form = $<HTMLFormElement>('#sign-in-form');
  const error = $('#sign-in-error');
  error.textContent = sessionStorage.getItem('liveblog:signedOutReason') ?? '';
  sessionStorage.removeItem('liveblog:signedOutReason');
  const field = (id: string) => $<HTMLInputElement>(id);
  const fail = (failure: unknown, target?: HTMLInputElement) => {
    error.textContent = signInProblem(failure) ?? `Could not sign in: ${describeError(failure)}`;
    target?.focus();
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    const [email, password, token] = ['#email', '#password', '#token'].map((id) => field(id).value.trim());
    // One form, two ways in: email and password (a person), or a token (scripts, shared desks).
    if (token && !email && !password) {
      signInWithToken(token, signOut)
        .then(enter)
        .catch((failure: unknown) => fail(failure, field('#token')));
      return;
    }
    if (!email || !password) {
      error.textContent = token ? 'Fill in either email and password, or a token, not both.' : 'Fill in your email and password.';
      field(email ? '#password' : '#email').focus();
      return;
    }
    if (token) {
      error.textContent = 'Fill in either email and password, or a token, not both.';
      return;
    }
    signInWithPassword(email, field('#password').value, signOut)
      .then(enter)
      .catch((failure: unknown) => {
        field('#password').value = '';
        fail(failure, field('#password'));
      });
  });
  const saved = stored.token();
  const resumed = saved ? signInWithToken(saved, signOut) : resumeSession(signOut);
  resumed
    .then((session) => (session ? enter(session) : undefined))
    .catch((failure: unknown) => {
      if (saved) stored.setToken(null);
      error.textContent = `Could not sign in: ${describeError(failure)}`;
    });
}

if (document.querySelector('[data-liveblog-editor]')) boot();
