/** The admin's token manager: hand out a scoped token (its secret shown once), list, revoke. */
import type { TokenInfo } from '../../shared/schemas';
import { describeError } from './errors';
import { $, h } from '../lib/dom';
import type { Session } from './session';

export class Access {
  private readonly section = $('#access');
  private readonly form = $<HTMLFormElement>('#access-form');
  private readonly name = $<HTMLInputElement>('#access-name');
  private readonly blogs = $<HTMLInputElement>('#access-blogs');
  private readonly error = $('#access-error');
  private readonly secretBox = $('#access-secret');
  private readonly secret = $<HTMLInputElement>('#access-secret-value');
  private readonly list = $<HTMLUListElement>('#access-list');

  constructor(private readonly session: Session) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.create();
    });
    $('#access-copy').addEventListener('click', () => {
      this.secret.select();
      navigator.clipboard?.writeText(this.secret.value).catch((error: unknown) => console.warn('[liveblog] copy failed', error));
    });
  }

  async show(currentBlogId: string | undefined): Promise<void> {
    this.section.hidden = false;
    if (!this.blogs.value && currentBlogId) this.blogs.value = currentBlogId;
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    try {
      const { tokens } = await this.session.call<{ tokens: TokenInfo[] }>('GET', '/api/tokens');
      this.list.replaceChildren(...tokens.map((token) => this.item(token)));
    } catch (error) {
      this.error.textContent = describeError(error);
    }
  }

  private item(token: TokenInfo): HTMLElement {
    const revoke = h('button', { type: 'button', 'aria-label': `Revoke ${token.name}` }, 'Revoke');
    revoke.addEventListener('click', () => void this.revoke(token));
    return h(
      'li',
      { class: 'ed-token' },
      h('strong', {}, token.name),
      ` · ${token.blogs.join(', ')} · created ${new Date(token.createdAt).toLocaleString()}`,
      token.lastUsedAt ? ` · last used ${new Date(token.lastUsedAt).toLocaleString()}` : ' · never used',
      ' ',
      revoke,
    );
  }

  private async create(): Promise<void> {
    this.error.textContent = '';
    const blogs = this.blogs.value
      .split(',')
      .map((blog) => blog.trim())
      .filter(Boolean);
    try {
      const created = await this.session.call<TokenInfo & { token: string }>('POST', '/api/tokens', {
        body: { name: this.name.value.trim(), blogs },
      });
      this.secret.value = created.token;
      this.secretBox.hidden = false;
      this.name.value = '';
      await this.refresh();
    } catch (error) {
      this.error.textContent = describeError(error);
    }
  }

  private async revoke(token: TokenInfo): Promise<void> {
    if (!confirm(`Revoke the token of ${token.name}? It stops working at once.`)) return;
    try {
      await this.session.call('DELETE', `/api/tokens/${token.id}`);
      await this.refresh();
    } catch (error) {
      this.error.textContent = describeError(error);
    }
  }
}
