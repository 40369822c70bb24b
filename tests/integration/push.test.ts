/**
 * Key-event Web Push (docs/notifications.md) end to end against a local push service that verifies
 * each VAPID JWT and decrypts each RFC 8291 body with the subscriber's own keys (tests/helpers/push-service.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import webpush from 'web-push';
import type { PushMessage } from '../../shared/schemas';
import { subscriptionId } from '../../server/reach/push/store';
import { pushTopic } from '../../server/reach/push/message';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type StartOptions, type TestServer } from '../helpers/app';
import { makeSubscriber, startPushService, type PushService, type Subscriber } from '../helpers/push-service';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('push');
const cleaner = prefixCleaner(prefix);
const servers: TestServer[] = [];
let server: TestServer;
let push: PushService;
let publicKey: string | undefined;
let n = 0;

async function start(options: Partial<StartOptions> = {}): Promise<TestServer> {
  const started = await startServer({ prefix, reach: { sweepMs: 500, push: { retryBaseMs: 50 } }, ...options });
  servers.push(started);
  return started;
}

beforeAll(async () => {
  push = await startPushService(() => publicKey);
  server = await start();
  publicKey = (await request<{ publicKey: string }>(server.url, 'GET', '/api/push/public-key')).body.publicKey;
});

afterAll(async () => {
  for (const started of servers) await started.stop();
  await push?.close();
  await cleaner.cleanup();
});

const subscriber = (): Subscriber => makeSubscriber(`${push.url}/push/${++n}`);
const subsKey = (blogId: string, keyPrefix = prefix) => `${keyPrefix}push:{${blogId}}:subs`;
const subscriberCount = (blogId: string, keyPrefix = prefix) => cleaner.redis.hlen(subsKey(blogId, keyPrefix));

async function subscribe(blogId: string, sub: Subscriber, on = server) {
  return request(on.url, 'POST', `/api/blogs/${blogId}/push-subscriptions`, { body: sub.subscription, token: null });
}

const messages = (sub: Subscriber) => push.messagesFor(sub) as PushMessage[];
const messagesOf = (sub: Subscriber, updateId: string) => messages(sub).filter((m) => m.updateId === updateId);

describe('the VAPID key', () => {
  it('is published as base64url, generated once and kept in Redis: a second server on the prefix says the same', async () => {
    expect(publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
    const second = await start();
    expect((await request<{ publicKey: string }>(second.url, 'GET', '/api/push/public-key')).body.publicKey).toBe(publicKey);
    const stored = JSON.parse((await cleaner.redis.get(`${prefix}push:vapid`))!) as { publicKey: string };
    expect(stored.publicKey).toBe(publicKey);
    await second.stop();
    servers.splice(servers.indexOf(second), 1);
  });

  it('is LIVEBLOG_VAPID_* when given, and signs with it', async () => {
    const keys = webpush.generateVAPIDKeys();
    const otherPrefix = testPrefix('push-given');
    const otherCleaner = prefixCleaner(otherPrefix);
    const given = await startServer({ prefix: otherPrefix, vapid: { ...keys, subject: 'mailto:desk@example.org' } });
    const generated = publicKey;
    // The push service checks `k` against this server's key now.
    publicKey = keys.publicKey;
    try {
      expect((await request<{ publicKey: string }>(given.url, 'GET', '/api/push/public-key')).body.publicKey).toBe(keys.publicKey);
      await createBlog(given.url, 'given');
      const sub = subscriber();
      expect((await subscribe('given', sub, given)).status).toBe(201);
      const update = await publish(given.url, 'given', { body: 'Signed with the given key', keyEvent: true });
      const received = await waitFor(() => push.received.find((p) => p.endpoint === sub.subscription.endpoint), 'the push');
      expect(received.vapid).toMatchObject({ k: keys.publicKey, sub: 'mailto:desk@example.org' });
      expect(messagesOf(sub, update.id)).toHaveLength(1);
      expect(await otherCleaner.redis.exists(`${otherPrefix}push:vapid`)).toBe(0);
    } finally {
      publicKey = generated;
      await given.stop();
      await otherCleaner.cleanup();
    }
  });
});

describe('subscribing', () => {
  it('refuses bad bodies with the contract’s error shape and stores nothing', async () => {
    await createBlog(server.url, 'bad-bodies');
    const good = subscriber().subscription;
    const offCurve = Buffer.alloc(65, 7);
    offCurve[0] = 4;
    const cases: [unknown, string][] = [
      [{ endpoint: good.endpoint }, 'keys'],
      [{ ...good, keys: { ...good.keys, auth: 'short' } }, 'keys.auth'],
      [{ ...good, keys: { ...good.keys, p256dh: offCurve.toString('base64url') } }, 'keys.p256dh'],
      [{ ...good, endpoint: 'not a url' }, 'endpoint'],
      [{ ...good, endpoint: 'http://push.example.com/x' }, 'endpoint'],
      [{ ...good, endpoint: 'https://user:pw@push.example.com/x' }, 'endpoint'],
      [{ ...good, endpoint: 'https://10.0.0.1/x' }, 'endpoint'],
      [{ ...good, endpoint: 'https://169.254.169.254/latest' }, 'endpoint'],
      [{ ...good, endpoint: 'https://[::1]:8443/x' }, 'endpoint'],
      [{ ...good, endpoint: `http://127.0.0.2:${new URL(push.url).port}/x` }, 'endpoint'],
      // An allowed host (LIVEBLOG_OUTBOUND_ALLOW_HOSTS), but a port of a service that is not a push service's.
      [{ ...good, endpoint: 'http://127.0.0.1:6379/x' }, 'endpoint'],
      [{ ...good, endpoint: 'https://127.0.0.1:22/x' }, 'endpoint'],
      [{ ...good, endpoint: 'https://push.example.com:25/x' }, 'endpoint'],
    ];
    for (const [body, field] of cases) {
      const answer = await request(server.url, 'POST', '/api/blogs/bad-bodies/push-subscriptions', { body, token: null });
      expect({ status: answer.status, code: answer.body.error.code, field: Object.keys(answer.body.error.details ?? {}) }).toEqual({
        status: 400,
        code: 'invalid',
        field: [field],
      });
    }
    const notJson = await request(server.url, 'POST', '/api/blogs/bad-bodies/push-subscriptions', {
      rawBody: '{"endpoint":',
      headers: { 'content-type': 'application/json' },
      token: null,
    });
    expect(notJson.status).toBe(400);
    const huge = { ...good, padding: 'x'.repeat(70 * 1024) };
    expect((await request(server.url, 'POST', '/api/blogs/bad-bodies/push-subscriptions', { body: huge, token: null })).status).toBe(413);
    expect((await subscribe('no-such-blog', subscriber())).status).toBe(404);
    expect(await subscriberCount('bad-bodies')).toBe(0);
    expect(await cleaner.redis.exists(subsKey('no-such-blog'))).toBe(0);
    expect(push.received.filter((p) => !p.endpoint.startsWith(push.url))).toHaveLength(0);
  });

  it('is idempotent per endpoint, and DELETE removes it', async () => {
    await createBlog(server.url, 'idempotent');
    const sub = subscriber();
    expect((await subscribe('idempotent', sub)).status).toBe(201);
    expect((await subscribe('idempotent', sub)).status).toBe(201);
    expect(await subscriberCount('idempotent')).toBe(1);
    const stored = await cleaner.redis.hget(subsKey('idempotent'), subscriptionId(sub.subscription.endpoint));
    // Only what the push service needs: no address, no time, no reader identifier.
    expect(JSON.parse(stored!)).toEqual(sub.subscription);
    const gone = await request(server.url, 'DELETE', '/api/blogs/idempotent/push-subscriptions', {
      body: { endpoint: sub.subscription.endpoint },
      token: null,
    });
    expect(gone.status).toBe(204);
    expect(await subscriberCount('idempotent')).toBe(0);
  });

  it('keeps at most maxPerBlog per blog, and limits each address’s changes a minute (a subscription re-posted unchanged is none)', async () => {
    const capped = await start({ prefix: testPrefix('push-capped'), reach: { push: { maxPerBlog: 2, subscribesPerMinute: 3 } } });
    const cappedCleaner = prefixCleaner(capped.stores.redis!.prefix);
    try {
      await createBlog(capped.url, 'capped');
      const first = subscriber();
      expect((await subscribe('capped', first, capped)).status).toBe(201);
      expect((await subscribe('capped', subscriber(), capped)).status).toBe(201);
      const full = await subscribe('capped', subscriber(), capped);
      expect([full.status, full.body.error.code]).toEqual([409, 'conflict']);
      const limited = await subscribe('capped', subscriber(), capped);
      expect([limited.status, limited.body.error.code]).toEqual([429, 'rate_limited']);
      // Readers have no token: the message speaks of their address.
      expect(limited.body.error.message).toMatch(/^too many subscription changes: at most 3 a minute per address; try again in \d+ s$/);
      expect(await subscriberCount('capped', capped.stores.redis!.prefix)).toBe(2);
      // The reader's page posts its subscription again on each load: one stored, unchanged, is not a change.
      expect((await subscribe('capped', first, capped)).status).toBe(201);
      const changed = makeSubscriber(first.subscription.endpoint);
      expect((await subscribe('capped', changed, capped)).status).toBe(429);
    } finally {
      await cappedCleaner.cleanup();
    }
  });
});

describe('a published key event', () => {
  it('reaches every subscriber once, encrypted and signed; other updates send nothing', async () => {
    await createBlog(server.url, 'kursk', 'Kursk offensive');
    const [a, b] = [subscriber(), subscriber()];
    expect((await subscribe('kursk', a)).status).toBe(201);
    expect((await subscribe('kursk', b)).status).toBe(201);
    const plain = await publish(server.url, 'kursk', { body: 'Not key' });
    const key = await publish(server.url, 'kursk', {
      body: 'Two soldiers **captured** <b>near</b> [Sudzha](https://example.org)',
      keyEvent: true,
    });
    await waitFor(() => messagesOf(a, key.id).length && messagesOf(b, key.id).length, 'both pushes');
    expect(messagesOf(a, key.id)).toEqual([
      {
        blogId: 'kursk',
        updateId: key.id,
        title: 'Kursk offensive',
        body: 'Two soldiers captured near Sudzha',
        url: `${server.url}/blogs/kursk#update-${key.id}`,
      },
    ]);
    expect(messages(b)).toEqual(messages(a));
    expect(messages(a).some((m) => m.updateId === plain.id)).toBe(false);
    const pushed = push.received.find((p) => p.endpoint === a.subscription.endpoint)!;
    expect(pushed.vapid).toMatchObject({ aud: push.url, k: publicKey, sub: `mailto:webmaster@127.0.0.1` });
    expect(pushed.headers).toMatchObject({ ttl: '3600', urgency: 'high', topic: pushTopic('kursk') });
    await waitFor(async () => (await cleaner.redis.get(`${prefix}push:{kursk}:sent`)) === '2', 'pushesSent 2');
  });

  it('an edit that makes an update key pushes it once; later edits and repeated hand-overs do not push again', async () => {
    await createBlog(server.url, 'edits', 'Edits');
    const sub = subscriber();
    await subscribe('edits', sub);
    const update = await publish(server.url, 'edits', { body: 'At first not key' });
    const patch = (fields: Record<string, unknown>) =>
      request(server.url, 'PATCH', `/api/blogs/edits/updates/${update.id}`, { body: fields });
    expect((await patch({ keyEvent: true, title: 'Now key' })).status).toBe(200);
    await waitFor(() => messagesOf(sub, update.id).length, 'the push of the edit');
    expect(messagesOf(sub, update.id)[0]).toMatchObject({ title: 'Now key', body: 'At first not key' });
    expect((await patch({ body: 'Edited again' })).status).toBe(200);
    // The outbox hands events over at least once: offered all again (its cursor reset), nothing new is sent.
    await cleaner.redis.del(`${prefix}blog:{edits}:outbox`);
    const marker = await publish(server.url, 'edits', { body: 'Marker', keyEvent: true });
    await waitFor(() => messagesOf(sub, marker.id).length, 'the marker');
    expect(messagesOf(sub, update.id)).toHaveLength(1);
  });

  it('removes subscriptions answered 410 or 404, and counts only accepted pushes', async () => {
    await createBlog(server.url, 'cleanup');
    const [ok, gone, missing] = [subscriber(), subscriber(), subscriber()];
    for (const sub of [ok, gone, missing]) await subscribe('cleanup', sub);
    push.answer(gone.subscription.endpoint, 410);
    push.answer(missing.subscription.endpoint, 404);
    expect(await subscriberCount('cleanup')).toBe(3);
    const key = await publish(server.url, 'cleanup', { body: 'Key', keyEvent: true });
    await waitFor(async () => (await subscriberCount('cleanup')) === 1, 'the 410 and 404 removed');
    expect(await cleaner.redis.hexists(subsKey('cleanup'), subscriptionId(ok.subscription.endpoint))).toBe(1);
    expect(messagesOf(ok, key.id)).toHaveLength(1);
    expect(await cleaner.redis.get(`${prefix}push:{cleanup}:sent`)).toBe('1');
  });

  it('a 410’s removal keeps a re-subscription of the same endpoint made while its batch was sending', async () => {
    await createBlog(server.url, 'resubscribed');
    const [held, gone] = [subscriber(), subscriber()];
    for (const sub of [held, gone]) expect((await subscribe('resubscribed', sub)).status).toBe(201);
    push.answer(held.subscription.endpoint, 410);
    push.answer(gone.subscription.endpoint, 410);
    const release = push.hold(held.subscription.endpoint);
    await publish(server.url, 'resubscribed', { body: 'Key', keyEvent: true });
    await waitFor(() => push.waiting() === 1, 'the push to the re-subscriber held');
    // The browser subscribes again (new keys, same endpoint) while the batch still waits for the 410.
    const again = makeSubscriber(held.subscription.endpoint);
    expect((await subscribe('resubscribed', again)).status).toBe(201);
    release();
    // The batch removes its gone subscriptions together, at its end: the other 410 gone means it has run.
    await waitFor(
      async () => !(await cleaner.redis.hexists(subsKey('resubscribed'), subscriptionId(gone.subscription.endpoint))),
      'the batch’s removals',
    );
    const stored = await cleaner.redis.hget(subsKey('resubscribed'), subscriptionId(again.subscription.endpoint));
    expect(stored && (JSON.parse(stored) as unknown)).toEqual(again.subscription);
  });

  it('retries a 500 a few times, then gives up', async () => {
    await createBlog(server.url, 'flaky');
    const sub = subscriber();
    await subscribe('flaky', sub);
    push.answer(sub.subscription.endpoint, 500);
    await publish(server.url, 'flaky', { body: 'Key', keyEvent: true });
    await waitFor(() => push.received.filter((p) => p.endpoint === sub.subscription.endpoint).length === 3, 'three attempts');
    expect(await subscriberCount('flaky')).toBe(1);
  });

  it('deleted before its fan-out ran: never sent', async () => {
    await createBlog(server.url, 'taken-down');
    const sub = subscriber();
    await subscribe('taken-down', sub);
    const connection = cleaner.redis.duplicate({ maxRetriesPerRequest: null });
    const queue = new Queue('{push}', { connection, prefix: `${prefix}q` });
    await queue.pause();
    try {
      const key = await publish(server.url, 'taken-down', { body: 'Libel', keyEvent: true });
      await waitFor(async () => (await queue.getJobCounts('wait')).wait! > 0, 'the fan-out queued');
      expect((await request(server.url, 'DELETE', `/api/blogs/taken-down/updates/${key.id}`)).status).toBe(204);
      await queue.resume();
      const marker = await publish(server.url, 'taken-down', { body: 'Marker', keyEvent: true });
      await waitFor(() => messagesOf(sub, marker.id).length, 'the marker');
      expect(messagesOf(sub, key.id)).toHaveLength(0);
    } finally {
      await queue.resume();
      await queue.close();
      connection.disconnect();
    }
  });

  it('un-keyed before its push went out, then made key again: pushed once, after the re-key', async () => {
    await createBlog(server.url, 'toggled');
    const sub = subscriber();
    await subscribe('toggled', sub);
    const connection = cleaner.redis.duplicate({ maxRetriesPerRequest: null });
    const queue = new Queue('{push}', { connection, prefix: `${prefix}q` });
    await queue.pause();
    try {
      const key = await publish(server.url, 'toggled', { body: 'Oops, not key', keyEvent: true });
      await waitFor(async () => (await queue.getJobCounts('wait')).wait! > 0, 'the fan-out queued');
      const patch = (keyEvent: boolean) => request(server.url, 'PATCH', `/api/blogs/toggled/updates/${key.id}`, { body: { keyEvent } });
      expect((await patch(false)).status).toBe(200);
      await queue.resume();
      await waitFor(async () => (await queue.getJobCounts('wait', 'active')).wait === 0, 'the fan-out run');
      const marker = await publish(server.url, 'toggled', { body: 'Marker', keyEvent: true });
      await waitFor(() => messagesOf(sub, marker.id).length, 'the marker');
      expect(messagesOf(sub, key.id)).toHaveLength(0);
      expect((await patch(true)).status).toBe(200);
      await waitFor(() => messagesOf(sub, key.id).length, 'the push of the re-key');
      // An edit of it now, and the re-key handed over again, send nothing more.
      expect((await request(server.url, 'PATCH', `/api/blogs/toggled/updates/${key.id}`, { body: { body: 'Key after all' } })).status).toBe(
        200,
      );
      await cleaner.redis.del(`${prefix}blog:{toggled}:outbox`);
      const second = await publish(server.url, 'toggled', { body: 'Marker 2', keyEvent: true });
      await waitFor(() => messagesOf(sub, second.id).length, 'the second marker');
      expect(messagesOf(sub, key.id)).toHaveLength(1);
    } finally {
      await queue.resume();
      await queue.close();
      connection.disconnect();
    }
  });

  it('deleted while its batches are being sent: the batches not sent yet send nothing', async () => {
    const paced = await start({ reach: { sweepMs: 500, push: { batchSize: 1, jobsAtOnce: 1, concurrency: 1 } } });
    await createBlog(paced.url, 'mid-send');
    const subs = [subscriber(), subscriber(), subscriber()];
    for (const sub of subs) await subscribe('mid-send', sub, paced);
    const releases = subs.map((sub) => push.hold(sub.subscription.endpoint));
    // Only the paced server's worker may take these jobs.
    await server.stop();
    servers.splice(servers.indexOf(server), 1);
    server = paced;
    const key = await publish(paced.url, 'mid-send', { body: 'Libel', keyEvent: true });
    await waitFor(() => push.waiting() === 1, 'the first push held');
    expect((await request(paced.url, 'DELETE', `/api/blogs/mid-send/updates/${key.id}`)).status).toBe(204);
    releases.forEach((release) => release());
    const marker = await publish(paced.url, 'mid-send', { body: 'Marker', keyEvent: true });
    await waitFor(() => subs.every((sub) => messagesOf(sub, marker.id).length), 'the marker');
    expect(subs.flatMap((sub) => messagesOf(sub, key.id))).toHaveLength(1);
  });

  it('deleted while one batch is being sent: the rest of that batch is not sent', async () => {
    const paced = await start({ reach: { sweepMs: 500, push: { jobsAtOnce: 1, concurrency: 1, recheckMs: 1 } } });
    await createBlog(paced.url, 'mid-batch');
    const subs = [subscriber(), subscriber(), subscriber()];
    for (const sub of subs) await subscribe('mid-batch', sub, paced);
    const releases = subs.map((sub) => push.hold(sub.subscription.endpoint));
    await server.stop();
    servers.splice(servers.indexOf(server), 1);
    server = paced;
    const key = await publish(paced.url, 'mid-batch', { body: 'Libel', keyEvent: true });
    await waitFor(() => push.waiting() === 1, 'the first push held');
    expect((await request(paced.url, 'DELETE', `/api/blogs/mid-batch/updates/${key.id}`)).status).toBe(204);
    releases.forEach((release) => release());
    const marker = await publish(paced.url, 'mid-batch', { body: 'Marker', keyEvent: true });
    await waitFor(() => subs.every((sub) => messagesOf(sub, marker.id).length), 'the marker');
    // The one in flight at the delete went out; the batch's two others did not.
    expect(subs.flatMap((sub) => messagesOf(sub, key.id))).toHaveLength(1);
  });
});
