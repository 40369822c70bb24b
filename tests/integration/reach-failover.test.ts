/**
 * Webhooks through a Sentinel switchover: every update published before, during and after it reaches
 * the receiver, and a retry waiting in Redis when the primary changed is still sent (BullMQ's jobs are
 * replicated like the rest; the queue's connections follow the new primary).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { Webhook } from '../../shared/schemas';
import { createBlog, publish, publishRetrying, request } from '../helpers/api';
import { startServer, type TestServer } from '../helpers/app';
import { startSentinelSet, type SentinelSet } from '../helpers/redis-topology';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

let set: SentinelSet;
let server: TestServer;
let stopped = false;
let receiver: WebhookReceiver;

beforeAll(async () => {
  [set, receiver] = await Promise.all([startSentinelSet(), startWebhookReceiver()]);
  server = await startServer({
    prefix: testPrefix('reach-failover'),
    redisUrl: set.url,
    minReplicas: 1,
    reach: { webhookRetry: { baseMs: 1_000, maxDelayMs: 2_000 }, sweepMs: 1_000 },
  });
}, 120_000);

afterAll(async () => {
  if (!stopped) await server?.stop();
  await receiver?.close();
  await set?.stop();
});

/** The update a delivery carries. */
const updateOf = (delivery: WebhookReceiver['received'][number]) => (delivery.body?.data as { update?: { id: string } }).update?.id;

it('delivers every update across a switchover, and the retry that was waiting when it happened', async () => {
  await createBlog(server.url, 'switch');
  const created = await request<Webhook & { secret: string }>(server.url, 'POST', '/api/webhooks', { body: { url: receiver.url } });
  expect(created.status).toBe(201);
  receiver.useSecret(created.body.secret);

  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await publish(server.url, 'switch', { body: `Before ${i}` })).id);
  await receiver.waitFor(3, (delivery) => delivery.answered === 204, 15_000);
  // The next one fails once: its retry waits in Redis (delayed ≥ 0.8 s) while the primary changes.
  receiver.answerNext(500);
  ids.push((await publish(server.url, 'switch', { body: 'Retried across the switchover' })).id);
  await receiver.waitFor(1, (delivery) => delivery.answered === 500, 15_000);
  await set.failover(15_000);
  await set.waitForSettled(25_000);
  // Publishing may answer 503 for a moment after the switch (the desk retries with its key): retry here too.
  for (let i = 0; i < 3; i++) ids.push((await publishRetrying(server.url, 'switch', { body: `After ${i}` }, { attempts: 20 })).id);
  // At least once: a delivery may come twice (an attempt cut by the switchover is made again), but
  // always under the same webhook-id; and every update comes.
  const ok = () => receiver.received.filter((delivery) => delivery.answered === 204);
  await waitFor(() => ids.every((id) => ok().some((delivery) => updateOf(delivery) === id)), 'every update delivered', 30_000);
  expect(ok().every((delivery) => delivery.error === undefined)).toBe(true);
  const webhookIds = new Map<string, Set<string>>();
  for (const delivery of receiver.received) {
    const update = updateOf(delivery)!;
    webhookIds.set(update, (webhookIds.get(update) ?? new Set()).add(delivery.id));
  }
  expect([...webhookIds.values()].map((set) => set.size)).toEqual(ids.map(() => 1));
}, 120_000);

it('leaves nothing connected to the sentinels once stopped', async () => {
  // Every Sentinel client (the service's own, and the duplicates BullMQ makes for its worker) listens to
  // the sentinels' +switch-master; QUIT alone left those subscriptions open, reconnecting for ever.
  const subscribersOnSentinels = async () => {
    let count = 0;
    for (const port of set.sentinelPorts) {
      const sentinel = new Redis(port, '127.0.0.1');
      const clients = (await sentinel.call('CLIENT', 'LIST')) as string;
      sentinel.disconnect();
      count += clients.split('\n').filter((line) => /\bsub=[1-9]/.test(line)).length;
    }
    return count;
  };
  expect(await subscribersOnSentinels()).toBeGreaterThan(0); // the running server's
  stopped = true;
  await server.stop();
  await waitFor(async () => (await subscribersOnSentinels()) === 0, 'no subscription left on any sentinel', 5_000);
}, 30_000);
