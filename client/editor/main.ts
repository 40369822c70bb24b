/** The editors' desk: sign in, choose or create a blog, then write, correct and manage it live. */
import { SOCKET_EVENTS } from '../../shared/events';
import type { Blog, BlogEvent, UpdatePage } from '../../shared/schemas';
import { $, h } from '../lib/dom';
import { LiveFeed, type ClientSocket } from '../lib/live-feed';
import { connectSocket } from '../lib/socket';
import { Access } from './access';
import { BlogPanel } from './blog-panel';
import { Composer } from './composer';
import { ConnectionState } from './connection';
import { DESK_PAGE, Entries } from './entries';
import { describeError } from './errors';
import { Session, signIn } from './session';
import { stored } from './storage';
import { zoneNames } from './zones';

class Desk {
  private readonly composer: Composer;
  private readonly entries: Entries;
  private readonly access: Access | null;
  private readonly panel: BlogPanel;
  private readonly socket: ClientSocket;
  private readonly select = $<HTMLSelectElement>('#blog-select');
  private blogs: Blog[] = [];
  private blog: Blog | null = null;
  private feed: LiveFeed | null = null;
  private openSeq = 0;

  constructor(private readonly session: Session) {
    this.composer = new Composer(session, () => this.blog);
    this.entries = new Entries(session);
    this.access = session.isAdmin ? new Access(session) : null;
    this.panel = new BlogPanel(session, (blog) =>
      this.apply({ blogId: blog.id, cursor: blog.cursor, prev: '', type: 'blog.updated', blog }),
    );
    this.socket = connectSocket(undefined, { token: session.token });
    const connection = new ConnectionState(this.socket);
    session.onReachability = (reachable) => connection.request(reachable);
    this.socket.on(SOCKET_EVENTS.readers, ({ blogId, readers }) => {
      if (blogId !== this.blog?.id) return;
      $('#readers').textContent = String(readers);
      $('#readers-label').textContent = readers === 1 ? 'reader' : 'readers';
    });
    this.socket.on('connect_error', (error) => {
      if (/unknown or revoked/.test(error.message)) signOut('Your token is no longer valid: sign in again.');
    });
    this.select.addEventListener('change', () => void this.open(this.select.value));
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
      $('#desk-status').textContent = 'Your token may not edit any blog yet: ask an admin to add one to it.';
    }
    await this.access?.show(this.blog?.id);
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
    for (const id of ['#blog-panel', '#composer', '#entries']) $(id).hidden = false;
    $('#readers').textContent = '0';
    this.showBlog(blog);
    this.panel.clearStatus();
    this.composer.setBlog(blog);
    this.entries.show(blogId, page);
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
    this.socket.disconnect();
  }
}

let desk: Desk | null = null;

function signOut(reason = ''): void {
  stored.setToken(null);
  desk?.stop();
  desk = null;
  // A fresh page drops every listener and piece of state that belonged to the old token.
  sessionStorage.setItem('liveblog:signedOutReason', reason);
  location.reload();
}

async function enter(token: string): Promise<void> {
  const session: Session = await signIn(token, signOut);
  stored.setToken(token);
  $('#sign-in').hidden = true;
  $('#desk').hidden = false;
  $('#sign-out').hidden = false;
  $('#who').textContent = `Signed in as ${session.me.name}`;
  desk = new Desk(session);
  await desk.start();
}

function boot(): void {
  const form = $<HTMLFormElement>('#sign-in-form');
  const error = $('#sign-in-error');
  error.textContent = sessionStorage.getItem('liveblog:signedOutReason') ?? '';
  sessionStorage.removeItem('liveblog:signedOutReason');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    const token = $<HTMLInputElement>('#token').value.trim();
    enter(token).catch((failure: unknown) => {
      error.textContent = `Could not sign in: ${describeError(failure)}`;
    });
  });
  $('#sign-out').addEventListener('click', () => signOut());
  const saved = stored.token();
  if (saved) {
    enter(saved).catch((failure: unknown) => {
      stored.setToken(null);
      error.textContent = `Could not sign in: ${describeError(failure)}`;
    });
  }
}

if (document.querySelector('[data-liveblog-editor]')) boot();
