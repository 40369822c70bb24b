/**
 * Publishing never waits on pushes: a key event on a blog with 2,000 subscribers returns its 201 as fast
 * as on a blog with none, and every push still arrives (verified and decryptable). Prints the figures.
 * `npm run bench:push` measures 100,000.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { subscriptionId } from '../../server/reach/push/store';
import { createBlog, publish } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { makeSubscriber, startPushService, type PushService, type Subscriber } from '../helpers/push-service';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const SUBSCRIBERS = 2_000;
const prefix = testPrefix('push-load');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let push: PushService;

beforeAll(async () => {
  [server, push] = await Promise.all([startServer({ prefix }), startPushService()]);
});

afterAll(async () => {
  await server?.stop();
  await push?.close();
  await cleaner.cleanup();
});

async function publishTimes(blogId: string, count: number, keyEvent: boolean): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await publish(server.url, blogId, { body: `Update ${i}`, keyEvent });
    times.push(performance.now() - started);
  }
  return times;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('a key event on a blog with 2,000 subscribers', () => {
  it('is published as fast as on a blog with none, and every push arrives', async () => {
    await createBlog(server.url, 'quiet');
    await createBlog(server.url, 'crowded');
    // Stored as the route stores them (the route's per-address limit is not what is measured here).
    const subscribers: Subscriber[] = [];
    const pipeline = cleaner.redis.pipeline();
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const subscriber = makeSubscriber(`${push.url}/push/${i}`);
      subscribers.push(subscriber);
      pipeline.hset(
        `${prefix}push:{crowded}:subs`,
        subscriptionId(subscriber.subscription.endpoint),
        JSON.stringify(subscriber.subscription),
      );
    }
    await pipeline.exec();

    await publishTimes('quiet', 5, false); // warm-up
    const quiet = await publishTimes('quiet', 10, true);
    const started = performance.now();
    const [first] = await publishTimes('crowded', 1, true);
    const during = await publishTimes('quiet', 10, true);
    await waitFor(() => push.received.length >= SUBSCRIBERS, `${SUBSCRIBERS} pushes`, 180_000);
    const allArrived = performance.now() - started;
    expect(push.errors).toEqual([]);
    expect(new Set(push.received.map((p) => p.endpoint)).size).toBe(SUBSCRIBERS);
    for (const index of [0, 1234, SUBSCRIBERS - 1]) {
      const subscriber = subscribers[index]!;
      const body = push.received.find((p) => p.endpoint === subscriber.subscription.endpoint)!.body;
      expect(JSON.parse(subscriber.decrypt(body))).toMatchObject({ blogId: 'crowded' });
    }
    const figures = {
      publishMedianMsNoSubscribers: Math.round(median(quiet) * 10) / 10,
      publishMsWithSubscribers: Math.round(first! * 10) / 10,
      publishMedianMsDuringFanOut: Math.round(median(during) * 10) / 10,
      allPushesArrivedMs: Math.round(allArrived),
      pushesPerSecond: Math.round((SUBSCRIBERS / allArrived) * 1000),
    };
    console.log('push load figures', figures);
    await waitFor(async () => (await cleaner.redis.get(`${prefix}push:{crowded}:sent`)) === String(SUBSCRIBERS), 'pushesSent');
    // Generous bound (the figures are printed): the publish does not wait on the sends.
    expect(first!).toBeLessThan(median(quiet) + 500);
  }, 240_000);
});
