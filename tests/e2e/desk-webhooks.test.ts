/**
 * Webhooks on the desk (admins), in Chromium: add an endpoint (its secret shown once), Send test event,
 * whose delivery the local receiver verifies and the Deliveries table shows; a refused URL says why;
 * an endpoint turned off shows why and is turned on again; Remove asks first.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Webhook } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';
import { axeViolations, deskSuite } from './desk-harness';

const desk = deskSuite('e2e-desk-webhooks', { reach: { webhookRetry: { baseMs: 200, maxDelayMs: 1000 } } });
let receiver: WebhookReceiver;

afterAll(async () => {
  await receiver?.close();
});

const listed = async () => (await request<{ webhooks: Webhook[] }>(desk.server.url, 'GET', '/api/webhooks')).body.webhooks;

describe('Webhooks on the desk', () => {
  it('adds an endpoint, shows its secret once, sends a test event and shows its delivery', async () => {
    receiver = await startWebhookReceiver();
    const admin = await desk.signIn({ bypassCSP: true });
    const section = admin.locator('#webhooks');
    await section.getByRole('heading', { name: 'Webhooks' }).waitFor();

    // Refused: plain http on a host the allow-list does not name.
    await section.getByLabel('Endpoint URL').fill('http://example.com/hook');
    await section.getByRole('button', { name: 'Add webhook' }).click();
    await section
      .getByRole('alert')
      .getByText(/Endpoint URL http:\/\/example\.com must be https/)
      .waitFor();
    expect(await listed()).toEqual([]);

    await section.getByLabel('Endpoint URL').fill(receiver.url);
    await section.getByLabel('All events, and those added later').uncheck();
    await section.getByLabel('Update published (update.created)').check();
    await section.getByLabel('Update deleted (update.deleted)').check();
    await section.getByLabel('Blogs (comma-separated; * for all)').fill('*');
    await section.getByLabel('Description (optional)').fill('Homepage teaser');
    await section.getByRole('button', { name: 'Add webhook' }).click();
    await section.getByText(/Webhook added for .*Copy its secret now/).waitFor();
    const secret = await section.getByLabel(/Signing secret of the new webhook/).inputValue();
    expect(secret).toMatch(/^whsec_/);
    receiver.useSecret(secret);
    const [stored] = await listed();
    expect(stored).toMatchObject({
      url: receiver.url,
      events: ['update.created', 'update.deleted'],
      blogs: ['*'],
      description: 'Homepage teaser',
    });

    const row = section.locator('li[data-webhook]', { hasText: 'Homepage teaser' });
    await row.getByText('On.', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Send test event to Homepage teaser' }).click();
    const [delivery] = await receiver.waitFor(1);
    expect(delivery!.error).toBeUndefined();
    expect(delivery!.body?.type).toBe('webhook.test');
    const table = row.getByRole('table');
    const line = table.locator(`tr[data-delivery="${delivery!.id}"]`);
    await line.getByRole('cell', { name: 'delivered', exact: true }).waitFor();
    expect(await line.locator('td').allTextContents()).toEqual(['webhook.test', 'delivered', '1', '204', '', expect.stringMatching(/\d/)]);
    expect(await row.getByRole('button', { name: 'Deliveries to Homepage teaser' }).getAttribute('aria-expanded')).toBe('true');
    await section.getByText(/Test event to .*: delivered\./).waitFor();
    expect(await axeViolations(admin)).toEqual([]);

    // The open table follows what happens next, without a click: a published update's delivery shows.
    await createBlog(desk.server.url, 'webhook-follow');
    const update = await publish(desk.server.url, 'webhook-follow', { body: 'Shown in the open table' });
    const published = (await receiver.waitFor(2))[1];
    expect(published!.body?.data).toMatchObject({ update: { id: update.id } });
    await table
      .locator(`tr[data-delivery="${published!.id}"]`)
      .getByRole('cell', { name: 'delivered', exact: true })
      .waitFor({ timeout: 10_000 });
  });

  it('shows why an endpoint is off, turns it on again, and removes one after asking', async () => {
    const [endpoint] = await listed();
    await request(desk.server.url, 'PATCH', `/api/webhooks/${endpoint!.id}`, { body: { enabled: false } });
    const admin = await desk.signIn();
    const row = admin.locator('#webhooks li[data-webhook]', { hasText: 'Homepage teaser' });
    await row.getByText(/^Turned off .*: turned off by Admin token\.$/).waitFor();
    await row.getByRole('button', { name: 'Turn on again Homepage teaser' }).click();
    await admin.locator('#webhooks').getByText(`${endpoint!.url} is on again.`).waitFor();
    await row.getByText('On.', { exact: true }).waitFor();
    expect((await listed())[0]?.enabled).toBe(true);

    admin.once('dialog', (dialog) => void dialog.dismiss());
    await row.getByRole('button', { name: 'Remove Homepage teaser' }).click();
    expect(await listed()).toHaveLength(1);
    admin.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Remove Homepage teaser' }).click();
    await admin.locator('#webhooks').getByText('No webhooks yet.').waitFor();
    expect(await listed()).toEqual([]);
  });

  it('keeps keyboard focus on the control used (Send test event, Turn on again), and after Remove puts it on the list; the removed webhook’s secret is hidden', async () => {
    const at = await startWebhookReceiver();
    try {
      const admin = await desk.signIn();
      const section = admin.locator('#webhooks');
      await section.getByLabel('Endpoint URL').fill(at.url);
      await section.getByLabel('Description (optional)').fill('Keyboard one');
      await section.getByRole('button', { name: 'Add webhook' }).click();
      await section.getByText(/Webhook added for .*Copy its secret now/).waitFor();
      at.useSecret(await section.getByLabel(/Signing secret of the new webhook/).inputValue());
      const row = section.locator('li[data-webhook]', { hasText: 'Keyboard one' });
      const focusedName = () => admin.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.tagName);

      await row.getByRole('button', { name: 'Send test event to Keyboard one' }).focus();
      await admin.keyboard.press('Enter');
      await section.getByText(/Test event to .*: delivered\./).waitFor();
      expect(await focusedName()).toBe('Send test event to Keyboard one');

      const [made] = await listed();
      await request(desk.server.url, 'PATCH', `/api/webhooks/${made!.id}`, { body: { enabled: false } });
      await admin.reload();
      const again = admin.locator('#webhooks li[data-webhook]', { hasText: 'Keyboard one' });
      await again.getByRole('button', { name: 'Turn on again Keyboard one' }).focus();
      await admin.keyboard.press('Enter');
      await again.getByText('On.', { exact: true }).waitFor();
      // Its button is gone: focus stays in the same endpoint, on its first control.
      expect(await focusedName()).toBe('Send test event to Keyboard one');

      // A fresh one, whose secret is showing, removed by keyboard.
      await section.getByLabel('Endpoint URL').fill(`${at.url}?second`);
      await section.getByLabel('Description (optional)').fill('Keyboard two');
      await section.getByRole('button', { name: 'Add webhook' }).click();
      await section.getByText(/Webhook added for .*second.*Copy its secret now/).waitFor();
      expect(await section.getByLabel(/Signing secret of the new webhook/).isVisible()).toBe(true);
      admin.once('dialog', (dialog) => void dialog.accept());
      await section.getByRole('button', { name: 'Remove Keyboard two' }).focus();
      await admin.keyboard.press('Enter');
      await section.getByText(/Webhook to .*second removed\./).waitFor();
      expect(await focusedName()).toBe('Webhook endpoints');
      expect(await section.getByLabel(/Signing secret of the new webhook/).isVisible()).toBe(false);
      expect(await section.locator('#webhook-secret').inputValue()).toBe('');
      for (const webhook of await listed()) await request(desk.server.url, 'DELETE', `/api/webhooks/${webhook.id}`);
    } finally {
      await at.close();
    }
  });
});
