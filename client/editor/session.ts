/**
 * Who is signed in to the desk and API calls made as them: a person with the session cookie (password
 * or single sign-on), or a token (scripts, shared desks) sent as a bearer header.
 */
import { api, ApiError, type ApiOptions } from '../lib/api';
import { can, canCreateBlog, canManagePeople, canWriteBlog, needsApproval } from '../../shared/permissions';
import type { Blog, Me } from '../../shared/schemas';

/** How long the desk waits for an answer before it says there is none. */
export const REQUEST_TIMEOUT_MS = 20_000;

const ROLE_NAMES: Record<Me['kind'], string> = { admin: 'admin', editor: 'editor', contributor: 'contributor' };

export class Session {
  /** Told after every call whether the server answered (see connection.ts). */
  onReachability: (reachable: boolean) => void = () => undefined;

  constructor(
    /** The bearer token; null for a person signed in with the session cookie. */
    readonly token: string | null,
    readonly me: Me,
    private readonly onSignedOut: (reason: string) => void,
  ) {}

  /** A person with the session cookie (not a token). */
  get isPerson(): boolean {
    return this.token === null;
  }

  get isAdmin(): boolean {
    return this.me.kind === 'admin';
  }

  get role(): string {
    return ROLE_NAMES[this.me.kind];
  }

  /** A contributor: entries wait for an editor's approval. */
  get contributes(): boolean {
    return needsApproval(this.me);
  }

  canEdit(blogId: string): boolean {
    return canWriteBlog(this.me, blogId);
  }

  canSubmit(blogId: string): boolean {
    return can(this.me, 'submit', blogId);
  }

  get canCreateBlogs(): boolean {
    return canCreateBlog(this.me);
  }

  get canManagePeople(): boolean {
    return canManagePeople(this.me);
  }

  /** Why the desk went back to sign-in after a 401. */
  get endedReason(): string {
    return this.token
      ? 'Your token is no longer valid: sign in again.'
      : 'Your session has ended (you signed out elsewhere, or an admin changed your account): sign in again.';
  }

  /** Back to the sign-in form, saying why. */
  signedOut(reason = this.endedReason): void {
    this.onSignedOut(reason);
  }

  /**
   * An API call as this session; a 401 (token revoked, session ended) signs out. A call unanswered after
   * REQUEST_TIMEOUT_MS fails as unreachable (its outcome unknown), so that no button waits for ever on a
   * connection that died without a word; the request itself may still arrive, which callers allow for.
   */
  async call<T>(method: string, path: string, options: Omit<ApiOptions, 'token'> = {}): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ApiError(0, 'timeout', `No answer from the server after ${REQUEST_TIMEOUT_MS / 1000} seconds.`)),
        REQUEST_TIMEOUT_MS,
      );
    });
    try {
      const answer = await Promise.race([api<T>(method, path, { ...options, token: this.token ?? undefined }), timeout]);
      this.onReachability(true);
      return answer;
    } catch (error) {
      this.onReachability(!(error instanceof ApiError) || (error.status !== 0 && error.status !== 502 && error.status !== 504));
      if (error instanceof ApiError && error.status === 401) this.onSignedOut(this.endedReason);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The blogs this desk may write to (a contributor's: submit to). */
  async editableBlogs(): Promise<Blog[]> {
    const { blogs } = await api<{ blogs: Blog[] }>('GET', '/api/blogs');
    return blogs.filter((blog) => this.canSubmit(blog.id));
  }
}

/** Checks a token by asking who it belongs to. */
export async function signInWithToken(token: string, onSignedOut: (reason: string) => void): Promise<Session> {
  const me = await api<Me>('GET', '/api/me', { token });
  return new Session(token, me, onSignedOut);
}

/** Email and password: the server sets the session cookie; then who we are. */
export async function signInWithPassword(email: string, password: string, onSignedOut: (reason: string) => void): Promise<Session> {
  await api('POST', '/api/session', { body: { email, password } });
  const me = await api<Me>('GET', '/api/me');
  return new Session(null, me, onSignedOut);
}

/** The person whose session cookie this browser holds, if any (a reload, an invitation, single sign-on). */
export async function resumeSession(onSignedOut: (reason: string) => void): Promise<Session | null> {
  try {
    const me = await api<Me>('GET', '/api/me');
    return me.source === 'session' ? new Session(null, me, onSignedOut) : null;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return null;
    throw error;
  }
}

/** Ends this browser's session on the server (every tab and process). */
export async function endSession(): Promise<void> {
  await api('DELETE', '/api/session');
}

/** A failed password sign-in, in words. */
export function signInProblem(error: unknown): string | null {
  if (!(error instanceof ApiError)) return null;
  if (error.status === 401) return 'Wrong email or password.';
  if (error.status === 429) {
    const seconds = error.retryAfter;
    const wait = !seconds
      ? 'a while'
      : seconds > 90
        ? `about ${Math.round(seconds / 60)} minutes`
        : seconds >= 45
          ? 'about a minute'
          : `${seconds} seconds`;
    return `Too many attempts to sign in: try again in ${wait}.`;
  }
  return null;
}
