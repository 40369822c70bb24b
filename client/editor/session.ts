/** The signed-in editor: their token, who they are, and API calls made with it. */
import { api, ApiError, type ApiOptions } from '../lib/api';
import { canCreateBlog, canWriteBlog } from '../../shared/permissions';
import type { Blog, Me } from '../../shared/schemas';

/** How long the desk waits for an answer before it says there is none. */
export const REQUEST_TIMEOUT_MS = 20_000;

export class Session {
  /** Told after every call whether the server answered (see connection.ts). */
  onReachability: (reachable: boolean) => void = () => undefined;

  constructor(
    readonly token: string,
    readonly me: Me,
    private readonly onSignedOut: (reason: string) => void,
  ) {}

  get isAdmin(): boolean {
    return this.me.kind === 'admin';
  }

  canEdit(blogId: string): boolean {
    return canWriteBlog(this.me, blogId);
  }

  get canCreateBlogs(): boolean {
    return canCreateBlog(this.me);
  }

  /**
   * An API call with this session's token; a 401 (token revoked) signs out. A call unanswered after
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
      const answer = await Promise.race([api<T>(method, path, { ...options, token: this.token }), timeout]);
      this.onReachability(true);
      return answer;
    } catch (error) {
      this.onReachability(!(error instanceof ApiError) || (error.status !== 0 && error.status !== 502 && error.status !== 504));
      if (error instanceof ApiError && error.status === 401) this.onSignedOut('Your token is no longer valid: sign in again.');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async editableBlogs(): Promise<Blog[]> {
    const { blogs } = await api<{ blogs: Blog[] }>('GET', '/api/blogs');
    return blogs.filter((blog) => this.canEdit(blog.id));
  }
}

/** Checks a token by asking who it belongs to. */
export async function signIn(token: string, onSignedOut: (reason: string) => void): Promise<Session> {
  const me = await api<Me>('GET', '/api/me', { token });
  return new Session(token, me, onSignedOut);
}
