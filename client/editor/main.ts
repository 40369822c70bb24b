/** The editors' desk: sign in, choose or create a blog, then write, correct and manage it live. */
import { SOCKET_EVENTS } from '../../shared/events';
import type { Blog, BlogEvent, UpdatePage } from '../../shared/schemas';
import { api, describeError } from '../lib/api';
import { $, h } from '../lib/dom';
import { LiveFeed, type ClientSocket } from '../lib/live-feed';
import { connectSocket } from '../lib/socket';
import { Access } from './access';
import { Composer } from './composer';
import { Entries } from './entries';
import { Session, signIn } from './session';
import { stored } from './storage';

/** Updates the desk lists; older ones are on the reader's page. */
const DESK_PAGE = 100;

class Desk {
  private readonly composer: Composer;
  private readonly entries: Entries;
  private readonly access: Access | null;
  private readonly socket: ClientSocket;
  private readonly select = $<HTMLSelectElement>('#blog-select');
  private blogs: Blog[] = [];
  private blog: Blog | null = null;
  private feed: LiveFeed | null = null;

  constructor(private readonly session: Session) {
    this.composer = new Composer(session);
    this.entries = new Entries(session);
    this.access = session.isAdmin ? new Access(session) : null;
    this.socket = connectSocket(undefined, { token: session.token });
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
    $<HTMLFormElement>('#blog-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.patchBlog({
        title: $<HTMLInputElement>('#blog-title').value.trim(),
        description: $<HTMLTextAreaElement>('#blog-description').value.trim() || null,
      });
    });
    $('#end-blog').addEventListener('click', () => void this.patchBlog({ status: 'ended' }));
    $('#reopen-blog').addEventListener('click', () => void this.patchBlog({ status: 'live' }));
  }

  async start(): Promise<void> {
    this.blogs = await this.session.editableBlogs();
    this.fillSelect();
    const preferred = this.blogs.find((blog) => blog.id === stored.lastBlog()) ?? this.blogs[0];
    if (preferred) await this.open(preferred.id);
    await this.access?.show(this.blog?.id);
  }

  private fillSelect(): void {
    this.select.replaceChildren(
      ...this.blogs.map((blog) => h('option', { value: blog.id }, `${blog.title}${blog.status === 'ended' ? ' (ended)' : ''}`)),
    );
    if (this.blog) this.select.value = this.blog.id;
  }

  private async open(blogId: string): Promise<void> {
    this.feed?.stop();
    const [blog, page] = await Promise.all([
      api<Blog>('GET', `/api/blogs/${blogId}`),
      api<UpdatePage>('GET', `/api/blogs/${blogId}/updates?limit=${DESK_PAGE}`),
    ]);
    this.blog = blog;
    stored.setLastBlog(blogId);
    this.select.value = blogId;
    for (const id of ['#blog-panel', '#composer', '#entries']) $(id).hidden = false;
    $('#readers').textContent = '0';
    this.showBlog(blog);
    this.composer.setBlog(blog);
    this.entries.show(blogId, page.updates);
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
      this.composer.setEnded(event.blog.status === 'ended');
      return;
    }
    this.entries.apply(event);
  }

  private showBlog(blog: Blog): void {
    $<HTMLInputElement>('#blog-title').value = blog.title;
    $<HTMLTextAreaElement>('#blog-description').value = blog.description ?? '';
    $<HTMLAnchorElement>('#reader-link').href = `/blogs/${blog.id}`;
    $('#end-blog').hidden = blog.status === 'ended';
    $('#reopen-blog').hidden = blog.status !== 'ended';
  }

  private async patchBlog(fields: Record<string, unknown>): Promise<void> {
    if (!this.blog) return;
    const status = $('#blog-status');
    try {
      const blog = await this.session.call<Blog>('PATCH', `/api/blogs/${this.blog.id}`, { body: fields });
      this.apply({ blogId: blog.id, cursor: blog.cursor, prev: '', type: 'blog.updated', blog });
      status.textContent =
        fields.status === 'ended'
          ? 'The blog has ended: readers see it is over.'
          : fields.status === 'live'
            ? 'The blog is live again.'
            : 'Saved.';
    } catch (error) {
      status.textContent = `Not saved: ${describeError(error)}`;
    }
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
