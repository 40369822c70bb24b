/** A signed-in person's own account: who they are, and changing their password. */
import { api, ApiError } from '../lib/api';
import { $ } from '../lib/dom';
import { describeError } from './errors';
import type { Session } from './session';

export class Account {
  private readonly form = $<HTMLFormElement>('#password-form');
  private readonly current = $<HTMLInputElement>('#current-password');
  private readonly fresh = $<HTMLInputElement>('#new-password');
  private readonly status = $('#password-status');

  constructor(private readonly session: Session) {
    const { me } = session;
    $('#account').hidden = false;
    $('#account-who').textContent = `${me.name}${me.email ? ` (${me.email})` : ''}: ${session.role} of ${
      me.blogs.includes('*') ? 'every blog' : me.blogs.join(', ') || 'no blog yet'
    }.`;
    $<HTMLInputElement>('#account-username').value = me.email ?? '';
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.change();
    });
  }

  private async change(): Promise<void> {
    this.status.textContent = '';
    try {
      // Not session.call: a wrong current password may answer 401, which must not sign the person out.
      await api('POST', '/api/me/password', { body: { currentPassword: this.current.value, password: this.fresh.value } });
      this.form.reset();
      this.status.textContent = 'Password changed.';
    } catch (error) {
      const wrong = error instanceof ApiError && (error.status === 401 || error.status === 403);
      this.status.textContent = wrong ? 'Not changed: the current password is wrong.' : `Not changed: ${describeError(error)}`;
      (wrong ? this.current : this.fresh).focus();
    }
  }
}
