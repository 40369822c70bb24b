/**
 * Webhooks over the API, on Redis, to a local receiver that verifies every delivery with the reference
 * Standard Webhooks library: the body as the contract has it, the endpoint's filters, pending entries
 * never leaving, retries with one webhook-id and fresh timestamps, the delivery log, Send test event,
 * removal and deletion stopping retries, bad input, rights, and the secret shown once.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { WEBHOOKS_MAX, type AuditPage, type PendingUpdate, type Update, type Webhook, type WebhookDelivery } from '../../shared/schemas';
import { createLogger } from '../../server/logger';
import { createBlog, publish, request, type ErrorAnswer } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { editorToken, person, type Person } from '../helpers/newsroom';
import { keysUnder, testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';
import { startWebhookReceiver, type ReceivedDelivery, type WebhookReceiver } from '../helpers/webhook-receiver';

const prefix = testPrefix('webhooks');
const cleaner = prefixCleaner(prefix);
const logLines: string[] = [];
let server: TestServer;
let url: string;
const receivers: WebhookReceiver[] = [];
const secrets: string[] = [];

type Created = Webhook & { secret: string };

beforeAll(async () => {
  const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) }));
  server = await startServer({
    prefix,
    logger,
    reach: { webhookRetry: { baseMs: 200, maxDelayMs: 1000 }, stalledMs: 2000, sweepMs: 1000 },
  });
  url = server.url;
  // A blog nobody publishes on: endpoints registered for it get only their test events.
  await createBlog(url, 'nowhere');
});

afterAll(async () => {
  await server.stop();
  await Promise.all(receivers.map((receiver) => receiver.close()));
  await cleaner.cleanup();
});

async function receiver(): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver();
  receivers.push(started);
  return started;
}

/** Registers `at` for these fields; the receiver verifies with the secret the answer carries. */
async function register(at: WebhookReceiver, fields: Record<string, unknown> = {}): Promise<Created> {
  const response = await request<Created>(url, 'POST', '/api/webhooks', { body: { url: at.url, ...fields } });
  expect(response.status).toBe(201);
  at.useSecret(response.body.secret);
  secrets.push(response.body.secret);
  return response.body;
}

const deliveriesOf = async (id: string) =>
  (await request<{ deliveries: WebhookDelivery[] }>(url, 'GET', `/api/webhooks/${id}/deliveries`)).body.deliveries;
const listed = async () => (await request<{ webhooks: Webhook[] }>(url, 'GET', '/api/webhooks')).body.webhooks;
const verified = (delivery: ReceivedDelivery) => {
  expect(delivery.error).toBeUndefined();
  return delivery.body!;
};

describe('a delivery', () => {
  it('carries a published update, signed, in the contract’s shape; then its edit, its deletion and the blog’s change', async () => {
    await createBlog(url, 'wh-shape');
    const at = await receiver();
    const endpoint = await register(at, { blogs: ['wh-shape'], description: 'Homepage teaser' });
    expect(endpoint).toMatchObject({ url: at.url, events: ['*'], blogs: ['wh-shape'], enabled: true, description: 'Homepage teaser' });

    const update = await publish(url, 'wh-shape', { body: 'The bridge is **open** again' });
    const [first] = await at.waitFor(1);
    const body = verified(first!);
    expect(first!.headers['content-type']).toBe('application/json');
    expect(first!.headers['user-agent']).toMatch(/^liveblog-webhooks\/\d+\.\d+\.\d+$/);
    expect(first!.id).toMatch(/^msg_/);
    expect(first!.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(Math.abs(first!.timestamp - Date.now() / 1000)).toBeLessThan(10);
    expect(body).toMatchObject({ type: 'update.created', data: { blogId: 'wh-shape', type: 'update.created', update: { id: update.id } } });
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    expect(body.data.cursor).toEqual(expect.any(String));
    expect(body.data.prev).toEqual(expect.any(String));
    expect((body.data.update as Update).body).toBe('The bridge is **open** again');

    const edited = await request<Update>(url, 'PATCH', `/api/blogs/wh-shape/updates/${update.id}`, {
      body: { body: 'The bridge is closed' },
    });
    expect(edited.status).toBe(200);
    await at.waitFor(2);
    expect((await request(url, 'DELETE', `/api/blogs/wh-shape/updates/${update.id}`)).status).toBe(204);
    await at.waitFor(3);
    expect((await request(url, 'PATCH', '/api/blogs/wh-shape', { body: { title: 'Bridge live' } })).status).toBe(200);
    const all = (await at.waitFor(4)).map(verified);
    expect(all.map((b) => b.type)).toEqual(['update.created', 'update.edited', 'update.deleted', 'blog.updated']);
    expect(all[2]!.data).toMatchObject({ type: 'update.deleted', updateId: update.id });
    expect(all[2]!.data.update).toBeUndefined();
    expect(all[3]!.data).toMatchObject({ type: 'blog.updated', blog: { id: 'wh-shape', title: 'Bridge live' } });
    // Every event its own webhook-id, each the next after the one before.
    expect(new Set(at.received.map((d) => d.id)).size).toBe(4);
    expect(all[1]!.data.prev).toBe(all[0]!.data.cursor);

    const log = await waitFor(async () => {
      const found = await deliveriesOf(endpoint.id);
      return found.length === 4 && found.every((d) => d.status === 'delivered') ? found : null;
    }, 'four delivered');
    // Newest first.
    expect(log.map((d) => d.event)).toEqual(['blog.updated', 'update.deleted', 'update.edited', 'update.created']);
    expect(log[3]).toMatchObject({ id: first!.id, blogId: 'wh-shape', attempts: 1, status: 'delivered', lastStatusCode: 204 });
  });

  it('goes only to endpoints that asked for its event type and its blog', async () => {
    await createBlog(url, 'wh-filter-a');
    await createBlog(url, 'wh-filter-b');
    const [onlyDeletions, onlyB, everything] = [await receiver(), await receiver(), await receiver()];
    const a = await register(onlyDeletions, { events: ['update.deleted'], blogs: ['wh-filter-a'] });
    const b = await register(onlyB, { blogs: ['wh-filter-b'] });
    await register(everything, { blogs: ['wh-filter-a', 'wh-filter-b'] });

    const onA = await publish(url, 'wh-filter-a', { body: 'On A' });
    await publish(url, 'wh-filter-b', { body: 'On B' });
    await request(url, 'DELETE', `/api/blogs/wh-filter-a/updates/${onA.id}`);
    // Once the endpoint that takes everything has all three, the others' deliveries are logged too
    // (one event's deliveries are logged together, before they are queued).
    await everything.waitFor(3);
    const aLog = await waitFor(async () => {
      const found = await deliveriesOf(a.id);
      return found.every((d) => d.status === 'delivered') ? found : null;
    }, 'A’s deliveries');
    expect(aLog.map((d) => [d.event, d.blogId])).toEqual([['update.deleted', 'wh-filter-a']]);
    const bLog = await deliveriesOf(b.id);
    expect(bLog.map((d) => [d.event, d.blogId])).toEqual([['update.created', 'wh-filter-b']]);
    await onlyDeletions.waitFor(1);
    await onlyB.waitFor(1);
    expect(onlyDeletions.received.map((d) => verified(d).type)).toEqual(['update.deleted']);
    expect(onlyB.received.map((d) => verified(d).data.blogId)).toEqual(['wh-filter-b']);
  });

  it('never carries a contributor’s entry while it waits for approval; carries it once approved', async () => {
    await createBlog(url, 'wh-queue');
    const at = await receiver();
    await register(at, { blogs: ['wh-queue'] });
    const contributor: Person = await person(url, 'Taras', 'contributor', ['wh-queue']);
    const submitted = await contributor.call<PendingUpdate>('POST', '/api/blogs/wh-queue/updates', { body: 'Unconfirmed XQZ-PENDING' });
    expect(submitted.status).toBe(202);
    // An editor's update after it: once it arrives, the entry had its chance to leave, and did not.
    await publish(url, 'wh-queue', { body: 'Confirmed by the police' });
    await at.waitFor(1);
    expect(at.received.some((d) => d.raw.includes('XQZ-PENDING'))).toBe(false);

    const approved = await request<Update>(url, 'POST', `/api/blogs/wh-queue/updates/${submitted.body.id}/approve`);
    expect(approved.status).toBe(200);
    const [, second] = await at.waitFor(2);
    expect(verified(second!)).toMatchObject({ type: 'update.created', data: { update: { id: approved.body.id } } });
    expect(second!.raw).toContain('XQZ-PENDING');
    expect(at.received).toHaveLength(2);
  });
});

describe('a failed attempt', () => {
  it('is tried again later with the same webhook-id, a fresh timestamp and signature, and logged', async () => {
    await createBlog(url, 'wh-retry');
    const at = await receiver();
    const endpoint = await register(at, { blogs: ['wh-retry'] });
    at.answerNext(500, 500, 503);
    await publish(url, 'wh-retry', { body: 'Try, try again' });
    await at.waitFor(1);
    const retrying = await waitFor(
      async () => (await deliveriesOf(endpoint.id)).find((d) => d.status === 'retrying'),
      'a retrying delivery',
    );
    expect(retrying).toMatchObject({ lastStatusCode: 500, lastError: 'HTTP 500', nextAttemptAt: expect.any(String) });
    expect((await listed()).find((w) => w.id === endpoint.id)?.failingSince).toEqual(expect.any(String));

    const attempts = await at.waitFor(4);
    expect(new Set(attempts.map((d) => d.id)).size).toBe(1);
    for (const attempt of attempts) verified(attempt);
    // ≥ 1.1 s of back-off between the first and the last (200 ms doubling, −20 % at worst): another second.
    expect(attempts[3]!.timestamp).toBeGreaterThan(attempts[0]!.timestamp);
    expect(new Set(attempts.map((d) => d.signature)).size).toBeGreaterThan(1);
    const log = await waitFor(async () => (await deliveriesOf(endpoint.id)).find((d) => d.status === 'delivered'), 'delivered');
    expect(log).toMatchObject({ id: attempts[0]!.id, attempts: 4, lastStatusCode: 204 });
    expect(log.lastError).toBeUndefined();
    expect((await listed()).find((w) => w.id === endpoint.id)?.failingSince).toBeUndefined();
  });

  it('of an update deleted while its delivery waits is never sent again: the delivery is skipped', async () => {
    await createBlog(url, 'wh-takedown');
    const at = await receiver();
    const endpoint = await register(at, { blogs: ['wh-takedown'], events: ['update.created'] });
    at.fallback = 500;
    const update = await publish(url, 'wh-takedown', { body: 'A name that must come down XQZ-TAKEDOWN' });
    await at.waitFor(1);
    expect((await request(url, 'DELETE', `/api/blogs/wh-takedown/updates/${update.id}`)).status).toBe(204);
    at.fallback = 204;
    const skipped = await waitFor(async () => (await deliveriesOf(endpoint.id)).find((d) => d.status === 'skipped'), 'skipped', 10_000);
    expect(skipped.lastError).toBe('the update was deleted before it could be delivered');
    expect(at.received.filter((d) => d.answered === 204)).toHaveLength(0);
  });

  it('stops for good when its endpoint is removed', async () => {
    await createBlog(url, 'wh-remove');
    const at = await receiver();
    const endpoint = await register(at, { blogs: ['wh-remove'] });
    at.fallback = 500;
    await publish(url, 'wh-remove', { body: 'Nobody listens' });
    await at.waitFor(2);
    expect((await request(url, 'DELETE', `/api/webhooks/${endpoint.id}`)).status).toBe(204);
    const seen = at.received.length;
    // Its job ends when it next runs and finds no endpoint; nothing is sent after.
    const queue = new Queue('{webhooks}', { connection: cleaner.redis, prefix: `${prefix}q` });
    try {
      await waitFor(
        async () =>
          (await queue.getJobs(['completed'])).find((job) => job.data.endpointId === endpoint.id && job.returnvalue === 'stopped'),
        'the job to stop',
        10_000,
      );
    } finally {
      await queue.close();
    }
    expect(at.received.length).toBeLessThanOrEqual(seen + 1); // one attempt may have been under way
    expect((await listed()).some((w) => w.id === endpoint.id)).toBe(false);
    expect((await request(url, 'GET', `/api/webhooks/${endpoint.id}/deliveries`)).status).toBe(404);
    expect((await request(url, 'DELETE', `/api/webhooks/${endpoint.id}`)).status).toBe(404);
    expect(await keysUnder(cleaner.redis, `${prefix}webhook:{${endpoint.id}}`)).toEqual([]);
  });
});

describe('Send test event', () => {
  it('sends webhook.test to that endpoint alone, now, and logs it', async () => {
    const [at, other] = [await receiver(), await receiver()];
    const endpoint = await register(at, { blogs: ['nowhere'] });
    await register(other, { blogs: ['nowhere'] });
    const sent = await request<WebhookDelivery>(url, 'POST', `/api/webhooks/${endpoint.id}/test`);
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ id: expect.stringMatching(/^msg_/), event: 'webhook.test', status: 'pending' });
    const [delivery] = await at.waitFor(1);
    expect(delivery!.id).toBe(sent.body.id);
    expect(verified(delivery!)).toMatchObject({ type: 'webhook.test', data: { webhookId: endpoint.id } });
    expect(await waitFor(async () => (await deliveriesOf(endpoint.id)).find((d) => d.status === 'delivered'), 'logged')).toMatchObject({
      id: sent.body.id,
      event: 'webhook.test',
      attempts: 1,
      lastStatusCode: 204,
    });
    expect(other.received).toHaveLength(0);
    expect((await request(url, 'POST', '/api/webhooks/wh0000000000000000/test')).status).toBe(404);
  });
});

describe('the API', () => {
  it('refuses bad input with the contract’s error shape, and stores nothing', async () => {
    const before = await listed();
    const keys = await keysUnder(cleaner.redis, `${prefix}webhook`);
    const cases: [unknown, string][] = [
      [{ url: 'http://example.com/hook' }, 'url'],
      [{ url: 'ftp://example.com/hook' }, 'url'],
      [{ url: 'https://169.254.169.254/latest/meta-data' }, 'url'],
      [{ url: 'http://169.254.169.254/' }, 'url'],
      [{ url: 'https://10.0.0.1/hook' }, 'url'],
      [{ url: 'https://[::1]/hook' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'https://user:pass@example.com/hook' }, 'url'],
      [{ url: '' }, 'url'],
      [{}, 'url'],
      [{ url: 'https://example.com/hook', events: ['update.exploded'] }, 'events'],
      [{ url: 'https://example.com/hook', events: [] }, 'events'],
      [{ url: 'https://example.com/hook', blogs: ['Not A Blog'] }, 'blogs'],
      [{ url: 'https://example.com/hook', blogs: ['nowhere', 'no-such-blog'] }, 'blogs'], // a typo would match nothing
      [{ url: 'https://example.com/hook', description: 'x'.repeat(500) }, 'description'],
      [{ url: 'https://example.com/hook', secret: 'whsec_mine' }, '_'], // an unknown field
    ];
    for (const [body, field] of cases) {
      const response = await request<ErrorAnswer>(url, 'POST', '/api/webhooks', { body });
      expect([response.status, response.body.error.code, JSON.stringify(body)]).toEqual([400, 'invalid', JSON.stringify(body)]);
      expect(Object.keys(response.body.error.details ?? {}).join(' ')).toContain(field);
    }
    expect(
      (await request<ErrorAnswer>(url, 'POST', '/api/webhooks', { rawBody: '{"url":', headers: { 'content-type': 'application/json' } }))
        .status,
    ).toBe(400);
    const [one] = before;
    expect((await request<ErrorAnswer>(url, 'PATCH', `/api/webhooks/${one!.id}`, { body: { enabled: 'yes' } })).body.error.code).toBe(
      'invalid',
    );
    expect((await request(url, 'PATCH', '/api/webhooks/wh0000000000000000', { body: { enabled: true } })).status).toBe(404);
    expect((await request(url, 'GET', '/api/webhooks/../deliveries')).status).toBe(404);
    expect(await listed()).toEqual(before);
    expect(await keysUnder(cleaner.redis, `${prefix}webhook`)).toEqual(keys);
  });

  it('is for admins only', async () => {
    const editor = await person(url, 'Olena', 'editor', ['*']);
    const token = await editorToken(url, 'Desk script', ['wh-shape']);
    const [some] = await listed();
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/webhooks'],
      ['POST', '/api/webhooks', { url: 'https://example.com/hook' }],
      ['PATCH', `/api/webhooks/${some!.id}`, { enabled: false }],
      ['DELETE', `/api/webhooks/${some!.id}`],
      ['GET', `/api/webhooks/${some!.id}/deliveries`],
      ['POST', `/api/webhooks/${some!.id}/test`],
    ];
    const before = await listed();
    for (const [method, path, body] of calls) {
      expect([method, path, (await editor.call(method, path, body)).status]).toEqual([method, path, 403]);
      expect([method, path, (await request(url, method, path, { token: token.token, ...(body ? { body } : {}) })).status]).toEqual([
        method,
        path,
        403,
      ]);
      expect([method, path, (await request(url, method, path, { token: null, ...(body ? { body } : {}) })).status]).toEqual([
        method,
        path,
        401,
      ]);
    }
    expect(await listed()).toEqual(before);
  });

  it('shows the secret once (not cached), never in the list, the audit trail or the logs', async () => {
    const at = await receiver();
    const response = await request<Created>(url, 'POST', '/api/webhooks', { body: { url: at.url, blogs: ['nowhere'] } });
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    secrets.push(response.body.secret);
    at.useSecret(response.body.secret);
    await request(url, 'POST', `/api/webhooks/${response.body.id}/test`);
    await at.waitFor(1);
    const list = await request(url, 'GET', '/api/webhooks');
    const trail = await request<AuditPage>(url, 'GET', '/api/audit?limit=100');
    expect(trail.body.entries.find((e) => e.action === 'webhook.created' && (e.after as Webhook).id === response.body.id)).toBeDefined();
    const said = [JSON.stringify(list.body), JSON.stringify(trail.body), logLines.join('\n')].join('\n');
    for (const secret of secrets) expect(said).not.toContain(secret.slice('whsec_'.length));
    for (const signature of receivers.flatMap((r) => r.received.map((d) => d.signature.slice(3)))) expect(said).not.toContain(signature);
    expect(logLines.some((line) => line.includes('"msg":"webhook delivered"'))).toBe(true);
  });

  it('answers 503 store_unavailable on the in-process store (deliveries would not outlive a restart)', async () => {
    const memory = await startServer({ prefix: testPrefix('webhooks-memory'), store: 'memory' });
    try {
      for (const [method, path] of [
        ['GET', '/api/webhooks'],
        ['POST', '/api/webhooks'],
      ] as const) {
        const response = await request<ErrorAnswer>(
          memory.url,
          method,
          path,
          method === 'POST' ? { body: { url: 'https://example.com/' } } : {},
        );
        expect([response.status, response.body.error.code]).toEqual([503, 'store_unavailable']);
        expect(response.body.error.message).toMatch(/need Redis/);
      }
    } finally {
      await memory.stop();
    }
  });

  it(`keeps at most ${WEBHOOKS_MAX} endpoints (409 beyond), even against 100 POSTs at once, and records removals`, async () => {
    const room = WEBHOOKS_MAX - (await listed()).length;
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, n) =>
        request<Created>(url, 'POST', '/api/webhooks', { body: { url: `https://example.com/${n}`, blogs: ['nowhere'] } }),
      ),
    );
    const made = answers.filter((a) => a.status === 201).map((a) => a.body.id);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(100 - room);
    expect(made).toHaveLength(room);
    expect(await listed()).toHaveLength(WEBHOOKS_MAX);
    const beyond = await request<ErrorAnswer>(url, 'POST', '/api/webhooks', { body: { url: 'https://example.com/one-more' } });
    expect([beyond.status, beyond.body.error.code]).toEqual([409, 'conflict']);
    for (const id of made) expect((await request(url, 'DELETE', `/api/webhooks/${id}`)).status).toBe(204);
    const trail = await request<AuditPage>(url, 'GET', '/api/audit?limit=100');
    expect(trail.body.entries.filter((e) => e.action === 'webhook.removed').length).toBeGreaterThanOrEqual(made.length);
  });
});
