/**
 * Web Push against hostile or broken push services and subscribers (docs/notifications.md, "Limits and
 * pacing"): one blog's endpoints that never answer must not hold up another blog's pushes; a push
 * service's slow body is not a failure; permanent refusals and corrupt entries are cleaned up.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PushMessage } from '../../shared/schemas';
import { subscriptionId } from '../../server/reach/push/store';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { makeSubscriber, startPushService, type PushService, type Subscriber } from '../helpers/push-service';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('push-hostile');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let push: PushService;
let n = 0;

beforeAll(async () => {
  push = await startPushService();
  server = await startServer({ prefix, reach: { sweepMs: 500 } });
});

afterAll(async () => {
  // The push service first: requests it holds fail at once, so the workers' jobs end and the server stops.
  await push?.close();
  await server?.stop();
  await cleaner.cleanup();
});

const subscriber = (path = 'push'): Subscriber => makeSubscriber(`${push.url}/${path}/${++n}`);
const subsKey = (blogId: string) => `${prefix}push:{${blogId}}:subs`;
const subscribe = (blogId: string, sub: Subscriber) =>
  request(server.url, 'POST', `/api/blogs/${blogId}/push-subscriptions`, { body: sub.subscription, token: null });
const messagesOf = (sub: Subscriber, updateId: string) => (push.messagesFor(sub) as PushMessage[]).filter((m) => m.updateId === updateId);

/** Stores subscriptions as the route would (as many readers' browsers would, over time). */
async function store(blogId: string, subs: Subscriber[]): Promise<void> {
  const pipeline = cleaner.redis.pipeline();
  for (const sub of subs) pipeline.hset(subsKey(blogId), subscriptionId(sub.subscription.endpoint), JSON.stringify(sub.subscription));
  await pipeline.exec();
}

describe('a blog whose subscribers’ push service never answers', () => {
  it('does not hold up another blog’s key event: its push arrives within seconds', async () => {
    await createBlog(server.url, 'hostile-a');
    await createBlog(server.url, 'healthy-b');
    push.hang(`${push.url}/hang/`);
    await store(
      'hostile-a',
      Array.from({ length: 1000 }, () => subscriber('hang')),
    );
    const healthy = subscriber();
    expect((await subscribe('healthy-b', healthy)).status).toBe(201);
    await publish(server.url, 'hostile-a', { body: 'A key event', keyEvent: true });
    // Both of the process's job slots are busy with A's batches.
    await waitFor(() => push.waiting() >= 40, 'A’s pushes hanging');
    const started = Date.now();
    const key = await publish(server.url, 'healthy-b', { body: 'B key event', keyEvent: true });
    await waitFor(() => messagesOf(healthy, key.id).length, 'B’s push', 10_000);
    const took = Date.now() - started;
    console.log(`B’s push arrived ${took} ms after it was published, A's 1000 hanging`);
    expect(took).toBeLessThan(8_000);
  }, 30_000);
});

describe('shutting down while pushes hang', () => {
  it('does not wait for them: the process stops at once, and the next one sends what was left', async () => {
    const own = `${prefix}closing:`;
    const first = await startServer({ prefix: own });
    await createBlog(first.url, 'closing');
    push.hang(`${push.url}/slow/`);
    const subs = Array.from({ length: 60 }, () => subscriber('slow'));
    const pipeline = cleaner.redis.pipeline();
    for (const sub of subs)
      pipeline.hset(`${own}push:{closing}:subs`, subscriptionId(sub.subscription.endpoint), JSON.stringify(sub.subscription));
    await pipeline.exec();
    const key = await publish(first.url, 'closing', { body: 'Sent before the restart', keyEvent: true });
    await waitFor(() => push.waiting() >= 20, 'pushes hanging');
    const started = Date.now();
    await first.stop();
    const took = Date.now() - started;
    console.log(`push: a server with 20 pushes hanging stopped in ${took} ms`);
    // Without the cut, closing waited for each hanging push's 3 s timeout, batch after batch.
    expect(took).toBeLessThan(1_500);
    push.unhang(`${push.url}/slow/`);
    const second = await startServer({ prefix: own });
    try {
      await waitFor(
        () => subs.every((sub) => messagesOf(sub, key.id).length >= 1),
        'every subscriber’s push, from the next process',
        20_000,
      );
    } finally {
      await second.stop();
    }
  }, 40_000);
});

describe('a push service that answers 201 and then sends its body slowly', () => {
  it('has the push counted as accepted, once: the status is all push needs', async () => {
    await createBlog(server.url, 'slow-body');
    const sub = subscriber();
    push.trickle(sub.subscription.endpoint);
    expect((await subscribe('slow-body', sub)).status).toBe(201);
    const key = await publish(server.url, 'slow-body', { body: 'Key', keyEvent: true });
    await waitFor(async () => (await cleaner.redis.get(`${prefix}push:{slow-body}:sent`)) === '1', 'the push counted', 8_000);
    expect(messagesOf(sub, key.id)).toHaveLength(1);
    expect(push.received.filter((p) => p.endpoint === sub.subscription.endpoint)).toHaveLength(1);
  }, 30_000);
});

describe('the subscribe limit', () => {
  it('counts an IPv6 /64 as one address (a machine may rotate through its 2^64 addresses)', async () => {
    const limited = await startServer({ prefix: testPrefix('push-v6'), reach: { push: { subscribesPerMinute: 3 } } });
    const limitedCleaner = prefixCleaner(limited.stores.redis!.prefix);
    try {
      await createBlog(limited.url, 'v6');
      const statuses: number[] = [];
      for (let i = 1; i <= 5; i++) {
        const answer = await request(limited.url, 'POST', '/api/blogs/v6/push-subscriptions', {
          body: subscriber().subscription,
          token: null,
          // Behind the loopback proxy the tests' server trusts: each request from another address of one /64.
          headers: { 'x-forwarded-for': `2001:db8:1:2::${i.toString(16)}` },
        });
        statuses.push(answer.status);
      }
      const other = await request(limited.url, 'POST', '/api/blogs/v6/push-subscriptions', {
        body: subscriber().subscription,
        token: null,
        headers: { 'x-forwarded-for': '2001:db8:1:3::1' },
      });
      expect(statuses).toEqual([201, 201, 201, 429, 429]);
      expect(other.status).toBe(201);
    } finally {
      await limited.stop();
      await limitedCleaner.cleanup();
    }
  });
});

describe('a corrupt subscription in Redis', () => {
  it('is skipped and removed; the batch’s other subscribers get their push', async () => {
    await createBlog(server.url, 'corrupt');
    const sub = subscriber();
    expect((await subscribe('corrupt', sub)).status).toBe(201);
    await cleaner.redis.hset(subsKey('corrupt'), 'not-json-0000000', '{"endpoint":', 'wrong-shape-0000', '{"endpoint":42}');
    const key = await publish(server.url, 'corrupt', { body: 'Key', keyEvent: true });
    await waitFor(() => messagesOf(sub, key.id).length, 'the push');
    await waitFor(async () => (await cleaner.redis.hlen(subsKey('corrupt'))) === 1, 'the corrupt entries removed');
  });
});

describe('a subscription refused for good (403 after a VAPID key change, 400, 413…)', () => {
  it('is removed after 3 refusals in a row; an accepted push in between starts the count again', async () => {
    await createBlog(server.url, 'refused');
    const [rotated, flaky, fine] = [subscriber(), subscriber(), subscriber()];
    for (const sub of [rotated, flaky, fine]) expect((await subscribe('refused', sub)).status).toBe(201);
    push.answer(rotated.subscription.endpoint, 403);
    push.answer(flaky.subscription.endpoint, 400);
    const has = async (sub: Subscriber) =>
      (await cleaner.redis.hexists(subsKey('refused'), subscriptionId(sub.subscription.endpoint))) === 1;
    const keyEvent = async (i: number) => {
      const key = await publish(server.url, 'refused', { body: `Key ${i}`, keyEvent: true });
      await waitFor(() => messagesOf(fine, key.id).length, `key event ${i}`);
      await waitFor(() => push.received.filter((p) => p.endpoint === flaky.subscription.endpoint).length === i, `flaky's push ${i}`);
    };
    await keyEvent(1);
    await keyEvent(2);
    push.answer(flaky.subscription.endpoint, 201);
    await keyEvent(3);
    await waitFor(async () => !(await has(rotated)), 'the 403 subscription removed after its third refusal');
    push.answer(flaky.subscription.endpoint, 413);
    await keyEvent(4);
    await keyEvent(5);
    expect(await has(flaky)).toBe(true);
    expect(await has(fine)).toBe(true);
  });

  it('counts afresh after the browser subscribes again with new keys (same endpoint)', async () => {
    await createBlog(server.url, 'renewed');
    const [old, fine] = [subscriber(), subscriber()];
    for (const sub of [old, fine]) expect((await subscribe('renewed', sub)).status).toBe(201);
    push.answer(old.subscription.endpoint, 403);
    const id = subscriptionId(old.subscription.endpoint);
    const refusals = () => cleaner.redis.hget(`${prefix}push:{renewed}:refusals`, id);
    const keyEvent = async (i: number) => {
      const key = await publish(server.url, 'renewed', { body: `Key ${i}`, keyEvent: true });
      await waitFor(() => messagesOf(fine, key.id).length, `key event ${i}`);
    };
    await keyEvent(1);
    await keyEvent(2);
    await waitFor(async () => (await refusals()) === '2', 'two refusals of the old keys counted');
    const renewed = makeSubscriber(old.subscription.endpoint);
    expect((await subscribe('renewed', renewed)).status).toBeLessThan(300);
    expect(await refusals()).toBeNull();
    await keyEvent(3); // refused again (the push service still says 403): the first against the new keys
    await waitFor(async () => (await refusals()) === '1', 'one refusal of the new keys counted');
    expect(await cleaner.redis.hget(subsKey('renewed'), id)).toBe(JSON.stringify(renewed.subscription));
  });
});
