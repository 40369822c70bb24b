/**
 * People (admins): invite someone by email, name, role and blogs, and pass on the invitation link
 * (also mailed when the server has a mail server); see everyone with their role, blogs, status and last
 * sign-in; change role and blogs, disable or enable, send a new link, remove (after a real dialog).
 */
import { ROLES, type Role } from '../../shared/permissions';
import type { UserInfo } from '../../shared/schemas';
import { $, h } from '../lib/dom';
import { describeError } from './errors';
import type { Session } from './session';
import { shortTime } from './zones';

type Invited = UserInfo & { inviteUrl: string; mailed?: boolean };

const blogList = (text: string) => [
  ...new Set(
    text
      .split(',')
      .map((blog) => blog.trim())
      .filter(Boolean),
  ),
];

export function personStatus(person: UserInfo): 'invited' | 'active' | 'disabled' {
  return person.disabled ? 'disabled' : person.activatedAt ? 'active' : 'invited';
}

export class People {
  private readonly section = $('#people');
  private readonly form = $<HTMLFormElement>('#invite-form');
  private readonly email = $<HTMLInputElement>('#invite-email');
  private readonly name = $<HTMLInputElement>('#invite-name');
  private readonly role = $<HTMLSelectElement>('#invite-role');
  private readonly blogs = $<HTMLInputElement>('#invite-blogs');
  private readonly error = $('#invite-error');
  private readonly linkBox = $('#invite-link-box');
  private readonly linkText = $('#invite-link-text');
  private readonly link = $<HTMLInputElement>('#invite-link');
  private readonly status = $('#people-status');
  private readonly list = $<HTMLUListElement>('#people-list');
  private readonly dialog = $<HTMLDialogElement>('#remove-dialog');
  /** What the remove dialog will remove when confirmed. */
  private removing: UserInfo | null = null;

  constructor(private readonly session: Session) {
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.invite();
    });
    $('#invite-copy').addEventListener('click', () => {
      this.link.select();
      navigator.clipboard
        ?.writeText(this.link.value)
        .then(() => (this.linkText.textContent = `${this.linkText.dataset.said ?? ''} Link copied.`))
        .catch((error: unknown) => console.warn('[liveblog] copy failed', error));
    });
    $('#remove-confirm').addEventListener('click', () => {
      const person = this.removing;
      this.dialog.close();
      if (person) void this.remove(person);
    });
    $('#remove-cancel').addEventListener('click', () => this.dialog.close());
    // Closed by Cancel or Escape: focus goes back to the person's Remove button.
    this.dialog.addEventListener('close', () => {
      const person = this.removing;
      this.removing = null;
      if (person) this.button(person.id, 'Remove')?.focus();
    });
  }

  async show(currentBlogId: string | undefined): Promise<void> {
    this.section.hidden = false;
    if (!this.blogs.value && currentBlogId) this.blogs.value = currentBlogId;
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    try {
      const { users } = await this.session.call<{ users: UserInfo[] }>('GET', '/api/users');
      this.list.replaceChildren(...users.map((person) => this.item(person)));
      if (!users.length) this.list.append(h('li', { class: 'ed-hint' }, 'Nobody invited yet.'));
    } catch (error) {
      this.status.textContent = `People could not be listed: ${describeError(error)}`;
    }
  }

  private button(personId: string, text: string): HTMLButtonElement | undefined {
    return [...(document.getElementById(`person-${personId}`)?.querySelectorAll('button') ?? [])].find((b) => b.textContent === text);
  }

  private item(person: UserInfo): HTMLElement {
    const status = personStatus(person);
    const action = (text: string, run: () => Promise<void> | void, attributes: Record<string, string> = {}) => {
      const element = h('button', { type: 'button', 'aria-label': `${text}: ${person.name}`, ...attributes }, text);
      element.addEventListener('click', () => void run());
      return element;
    };
    const edit = h('div', { class: 'ed-person__edit', hidden: true });
    const change = action('Change', () => this.toggleEdit(person, edit, change), { 'aria-expanded': 'false' });
    // One's own account cannot be disabled or removed from one's own desk (the server refuses it): no buttons that always fail.
    const self = this.session.isPerson && person.id === this.session.me.id;
    return h(
      'li',
      { id: `person-${person.id}`, class: 'ed-person', 'data-status': status },
      h('p', {}, h('strong', {}, person.name), ` · ${person.email}`),
      h(
        'p',
        { class: 'ed-hint' },
        `${person.role} · blogs: ${person.blogs.join(', ') || 'none'} · `,
        h('span', { class: 'ed-person__status' }, status),
        person.lastSignInAt ? ` · last signed in ${shortTime(person.lastSignInAt)}` : ' · never signed in',
      ),
      h(
        'div',
        { class: 'ed-row', role: 'group', 'aria-label': `Manage ${person.name}` },
        change,
        self ? null : action(person.disabled ? 'Enable' : 'Disable', () => this.patch(person, { disabled: !person.disabled })),
        status === 'invited' ? action('New invitation link', () => this.reinvite(person)) : null,
        self ? null : action('Remove', () => this.confirmRemove(person), { class: 'ed-danger' }),
      ),
      self
        ? h('p', { class: 'ed-hint' }, 'This is you: only another admin (or the admin token) can disable or remove your account.')
        : null,
      edit,
    );
  }

  private toggleEdit(person: UserInfo, box: HTMLElement, toggle: HTMLButtonElement): void {
    const open = box.hidden;
    box.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (!open) return;
    const id = (name: string) => `person-${name}-${person.id}`;
    const role = h('select', { id: id('role') }, ...ROLES.map((value) => h('option', { value, selected: value === person.role }, value)));
    const blogs = h('input', { id: id('blogs'), type: 'text', spellcheck: 'false', value: person.blogs.join(', ') });
    const save = h('button', { type: 'submit' }, 'Save changes');
    const form = h(
      'form',
      { 'aria-label': `Change ${person.name}` },
      h('label', { for: role.id }, `Role of ${person.name}`),
      role,
      h('label', { for: blogs.id }, `Blogs of ${person.name} (comma-separated; * for all)`),
      blogs,
      save,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.patch(person, { role: role.value as Role, blogs: blogList(blogs.value) });
    });
    box.replaceChildren(form);
    role.focus();
  }

  private async invite(): Promise<void> {
    this.error.textContent = '';
    try {
      const invited = await this.session.call<Invited>('POST', '/api/users', {
        body: { email: this.email.value.trim(), name: this.name.value.trim(), role: this.role.value, blogs: blogList(this.blogs.value) },
      });
      this.showLink(invited);
      this.email.value = '';
      this.name.value = '';
      await this.refresh();
    } catch (error) {
      this.error.textContent = `Not invited: ${describeError(error)}`;
      this.email.focus();
    }
  }

  private showLink(invited: Invited): void {
    const said = `${invited.name} is invited${invited.mailed ? ', and the link was mailed to them' : ''}. Pass on this link: it works once, for 7 days.`;
    this.linkText.textContent = said;
    this.linkText.dataset.said = said;
    this.link.value = invited.inviteUrl;
    this.linkBox.hidden = false;
    this.link.focus();
    this.link.select();
  }

  private async reinvite(person: UserInfo): Promise<void> {
    try {
      const answer = await this.session.call<Invited>('POST', `/api/users/${person.id}/invite`);
      this.showLink({ ...person, ...answer });
    } catch (error) {
      this.status.textContent = `No new link: ${describeError(error)}`;
    }
  }

  private async patch(person: UserInfo, change: Partial<Pick<UserInfo, 'role' | 'blogs' | 'disabled'>>): Promise<void> {
    this.status.textContent = '';
    try {
      const changed = await this.session.call<UserInfo>('PATCH', `/api/users/${person.id}`, { body: change });
      await this.refresh();
      const said =
        'disabled' in change
          ? change.disabled
            ? `${changed.name} is disabled: signed out everywhere, and cannot sign in.`
            : `${changed.name} can sign in again.`
          : `${changed.name} is now ${changed.role} of ${changed.blogs.join(', ') || 'no blog'}.`;
      this.status.textContent = said;
      this.button(person.id, 'disabled' in change ? (changed.disabled ? 'Enable' : 'Disable') : 'Change')?.focus();
    } catch (error) {
      this.status.textContent = `Not changed: ${describeError(error)}`;
    }
  }

  private confirmRemove(person: UserInfo): void {
    this.removing = person;
    $('#remove-dialog-text').textContent =
      `${person.name} (${person.email}) will be signed out everywhere at once and can no longer sign in. What they published stays, under their name.`;
    this.dialog.showModal();
  }

  private async remove(person: UserInfo): Promise<void> {
    try {
      await this.session.call('DELETE', `/api/users/${person.id}`);
      await this.refresh();
      this.status.textContent = `${person.name} is removed.`;
      this.section.querySelector<HTMLElement>('#people-list button')?.focus();
    } catch (error) {
      this.status.textContent = `Not removed: ${describeError(error)}`;
    }
  }
}
