/** The desk's words for people: who is editing, when someone did something, what the trail says, sign-in failures. */
import { describe, expect, it } from '@jest/globals';
import { auditHeadline } from '../../client/editor/audit';
import { personStatus } from '../../client/editor/people';
import { editingText } from '../../client/editor/presence';
import { editorId } from '../../client/editor/realtime';
import { signInProblem } from '../../client/editor/session';
import { shortTime } from '../../client/editor/zones';
import { ApiError } from '../../client/lib/api';
import type { AuditEntry, UserInfo } from '../../shared/schemas';

describe('the desk’s words', () => {
  it('says who is editing, one or several', () => {
    expect(editingText([])).toBe('');
    expect(editingText(['Olena'])).toBe('Olena is editing');
    expect(editingText(['Olena', 'Petro'])).toBe('Olena and Petro are editing');
    expect(editingText(['Olena', 'Petro', 'Ivan'])).toBe('Olena, Petro and Ivan are editing');
  });

  it('knows itself among the editors by the server’s ids', () => {
    expect(editorId({ kind: 'editor', name: 'O', blogs: [], source: 'session', id: 'p1' })).toBe('person:p1');
    expect(editorId({ kind: 'editor', name: 'T', blogs: [], source: 'token', id: 't1' })).toBe('token:t1');
    expect(editorId({ kind: 'admin', name: 'admin', blogs: ['*'], source: 'admin-token' })).toBe('admin');
    expect(editorId({ kind: 'editor', name: 'T', blogs: [], source: 'token' })).toBeNull();
  });

  it('gives the time as hours and minutes today, with the day otherwise', () => {
    const now = Date.parse('2026-11-28T15:00:00Z');
    expect(shortTime('2026-11-28T14:46:10Z', now)).toMatch(/^\d\d:46$/);
    expect(shortTime('2026-11-20T14:46:10Z', now)).toMatch(/^20 Nov, \d\d:46$/);
  });

  it('reads an audit entry as a line', () => {
    const entry = (action: AuditEntry['action'], actor: AuditEntry['actor'], extra: Partial<AuditEntry> = {}): AuditEntry => ({
      id: '1-0',
      at: new Date().toISOString(),
      actor,
      action,
      ...extra,
    });
    expect(auditHeadline(entry('update.edited', { kind: 'person', id: 'p1', name: 'Olena' }))).toMatch(/^Olena edited at \d\d:\d\d$/);
    expect(auditHeadline(entry('update.deleted', { kind: 'admin-token', name: 'admin' }))).toMatch(/^The admin token deleted at/);
    expect(auditHeadline(entry('person.invited', { kind: 'person', name: 'Olena' }, { after: { name: 'Petro' } }))).toMatch(
      /^Olena invited Petro at/,
    );
  });

  it('says a person’s status', () => {
    const person = { disabled: false } as UserInfo;
    expect(personStatus(person)).toBe('invited');
    expect(personStatus({ ...person, activatedAt: '2026-11-28T10:00:00Z' })).toBe('active');
    expect(personStatus({ ...person, activatedAt: '2026-11-28T10:00:00Z', disabled: true })).toBe('disabled');
  });

  it('says why a sign-in failed, with the wait when rate-limited', () => {
    expect(signInProblem(new ApiError(401, 'unauthorized', 'x'))).toBe('Wrong email or password.');
    expect(signInProblem(new ApiError(429, 'rate_limited', 'x', undefined, 600))).toBe(
      'Too many attempts to sign in: try again in about 10 minutes.',
    );
    expect(signInProblem(new ApiError(429, 'rate_limited', 'x', undefined, 30))).toBe(
      'Too many attempts to sign in: try again in 30 seconds.',
    );
    expect(signInProblem(new ApiError(500, 'internal', 'x'))).toBeNull();
  });
});
