/**
 * People on the desk (admins): invite someone and copy the link; the invitee opens it in another
 * browser, sets a password and lands on the desk signed in; change a role, disable (their desk goes back
 * to sign-in at once), send a new link, remove behind a real dialog.
 */
import { describe, expect, it } from '@jest/globals';
import type { UserInfo } from '../../shared/schemas';
import { createBlog, request } from '../helpers/api';
import { axeViolations, deskSuite, PASSWORD } from './desk-harness';

const desk = deskSuite('e2e-desk-people');

const users = async () => (await request<{ users: UserInfo[] }>(desk.server.url, 'GET', '/api/users')).body.users;

describe('People on the desk', () => {
  it('invites someone, whose copied link lets them set a password and land on the desk signed in', async () => {
    const blog = await createBlog(desk.server.url, 'people-invite');
    const admin = await desk.signIn({ bypassCSP: true });
    await admin.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    const people = admin.locator('#people');
    await people.getByLabel('Email').fill('hanna.kravets@newsroom.example');
    await people.getByLabel('Name', { exact: true }).fill('Hanna Kravets');
    await people.getByLabel('Role', { exact: true }).selectOption('editor');
    await people.getByLabel(/Their blogs/).fill(blog.id);
    await people.getByRole('button', { name: 'Invite' }).click();
    await people.getByText('Hanna Kravets is invited. Pass on this link: it works once, for 7 days.').waitFor();
    const link = await people.getByLabel(/Invitation link/).inputValue();
    expect(link).toMatch(new RegExp(`^${desk.server.url}/invite/`));
    await people.getByRole('button', { name: 'Copy link' }).click();
    await people.getByText(/Link copied\./).waitFor();
    expect(await admin.evaluate(() => navigator.clipboard.readText())).toBe(link);
    const row = people.locator('#people-list > li', { hasText: 'Hanna Kravets' });
    await row.getByText('hanna.kravets@newsroom.example').waitFor();
    expect(await row.locator('.ed-person__status').textContent()).toBe('invited');
    expect(await axeViolations(admin)).toEqual([]);

    // The invitee, in a browser of their own.
    const hanna = await desk.newPage();
    await hanna.goto(link);
    await hanna.getByLabel('New password', { exact: true }).fill(PASSWORD);
    await hanna.getByLabel('Confirm new password').fill(PASSWORD);
    await hanna.getByRole('button', { name: 'Set password' }).click();
    await hanna.getByText('Signed in as Hanna Kravets (editor)').waitFor();
    expect(new URL(hanna.url()).pathname).toBe('/editor');
    await hanna.waitForFunction(() => document.activeElement?.id === 'entry-body');

    // Disabled, their desk goes back to sign-in at once; enabled, they may sign in again.
    await admin.reload();
    const listed = admin.locator('#people-list > li', { hasText: 'Hanna Kravets' });
    expect(await listed.locator('.ed-person__status').textContent()).toBe('active');
    await listed.getByText(/last signed in \d\d:\d\d/).waitFor();
    await listed.getByRole('button', { name: 'Disable: Hanna Kravets' }).click();
    await admin.getByText('Hanna Kravets is disabled: signed out everywhere, and cannot sign in.').waitFor();
    await hanna
      .getByRole('alert')
      .getByText(/Your session has ended/)
      .waitFor();
    expect((await users()).find((u) => u.name === 'Hanna Kravets')?.disabled).toBe(true);
    await listed.getByRole('button', { name: 'Enable: Hanna Kravets' }).click();
    await admin.getByText('Hanna Kravets can sign in again.').waitFor();
    expect((await users()).find((u) => u.name === 'Hanna Kravets')?.disabled).toBe(false);
  });

  it('changes a role and blogs, sends a new link, and removes only after the dialog is confirmed', async () => {
    const blog = await createBlog(desk.server.url, 'people-manage');
    const invited = await request<UserInfo & { inviteUrl: string }>(desk.server.url, 'POST', '/api/users', {
      body: { email: 'taras.hnatiuk@newsroom.example', name: 'Taras Hnatiuk', role: 'contributor', blogs: [blog.id] },
    });
    expect(invited.status).toBe(201);
    const admin = await desk.signIn({ bypassCSP: true });
    const row = admin.locator('#people-list > li', { hasText: 'Taras Hnatiuk' });

    await row.getByRole('button', { name: 'Change: Taras Hnatiuk' }).click();
    await admin.getByLabel('Role of Taras Hnatiuk').selectOption('editor');
    await admin.getByLabel(/Blogs of Taras Hnatiuk/).fill(`${blog.id}, people-other`);
    await admin.getByRole('button', { name: 'Save changes' }).click();
    await admin.getByText(`Taras Hnatiuk is now editor of ${blog.id}, people-other.`).waitFor();
    expect((await users()).find((u) => u.name === 'Taras Hnatiuk')).toMatchObject({ role: 'editor', blogs: [blog.id, 'people-other'] });

    await row.getByRole('button', { name: 'New invitation link: Taras Hnatiuk' }).click();
    await admin.getByText('Taras Hnatiuk is invited. Pass on this link: it works once, for 7 days.').waitFor();
    const fresh = await admin
      .locator('#people')
      .getByLabel(/Invitation link/)
      .inputValue();
    expect(fresh).toMatch(/\/invite\//);
    expect(fresh).not.toBe(invited.body.inviteUrl);

    // Remove asks first, in a dialog: Cancel (which has the focus) and Escape change nothing.
    await row.getByRole('button', { name: 'Remove: Taras Hnatiuk' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Remove this person?' });
    await dialog.getByText(/Taras Hnatiuk \(taras.hnatiuk@newsroom.example\) will be signed out everywhere/).waitFor();
    expect(await admin.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    expect(await axeViolations(admin)).toEqual([]);
    await admin.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await admin.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Remove: Taras Hnatiuk');
    expect((await users()).some((u) => u.name === 'Taras Hnatiuk')).toBe(true);

    await row.getByRole('button', { name: 'Remove: Taras Hnatiuk' }).click();
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await admin.getByText('Taras Hnatiuk is removed.').waitFor();
    await row.waitFor({ state: 'detached' });
    expect((await users()).some((u) => u.name === 'Taras Hnatiuk')).toBe(false);
  });

  it('offers an admin no Disable or Remove on their own row, which the server would refuse', async () => {
    const anna = await desk.person({ name: 'Anna Admin', role: 'admin', blogs: ['*'] });
    await desk.person({ name: 'Bohdan Admin', role: 'admin', blogs: ['*'] });
    const page = await desk.signInAs(anna);
    const own = page.locator('#people-list > li', { hasText: 'Anna Admin' });
    await own.getByRole('button', { name: 'Change: Anna Admin' }).waitFor();
    expect(await own.getByRole('button', { name: /^(Disable|Enable|Remove): / }).count()).toBe(0);
    await own.getByText('This is you: only another admin (or the admin token) can disable or remove your account.').waitFor();
    const other = page.locator('#people-list > li', { hasText: 'Bohdan Admin' });
    await other.getByRole('button', { name: 'Disable: Bohdan Admin' }).waitFor();
    await other.getByRole('button', { name: 'Remove: Bohdan Admin' }).waitFor();
  });

  it('shows People to admins only', async () => {
    const editor = await desk.person({ name: 'Roman Savchenko', role: 'editor', blogs: ['*'] });
    const page = await desk.signInAs(editor);
    expect(await page.locator('#people').isHidden()).toBe(true);
    expect(await page.locator('#access').isHidden()).toBe(true);
  });

  it('fits a phone, People and History included, and passes axe-core in dark', async () => {
    const blog = await createBlog(desk.server.url, 'people-phone');
    await desk.person({ name: 'Yevhenia Zabolotna-Horodetska', role: 'contributor', blogs: [blog.id, 'people-phone-two'] });
    const admin = await desk.signIn({ width: 390, height: 844, colorScheme: 'dark', bypassCSP: true });
    await desk.chooseBlog(admin, blog.id);
    await admin.locator('#people-list > li', { hasText: 'Yevhenia' }).waitFor();
    await admin.getByRole('button', { name: 'Show history' }).click();
    await admin.locator('#blog-history-list > li').first().waitFor();
    expect(await admin.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await axeViolations(admin)).toEqual([]);
  });
});
