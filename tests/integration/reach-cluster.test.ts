/**
 * Webhooks, push and figures on a real Redis Cluster: every script and pipeline stays in one slot (the
 * blog's, an endpoint's, a queue's hash tag), so deliveries to several endpoints, a key event's pushes
 * and the figures all work with blogs and endpoints spread over the masters (CROSSSLOT errors otherwise).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { io, type Socket } from 'socket.io-client';
import type { BlogStats, PushMessage, Webhook } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { startServer, type TestServer } from '../helpers/app';
import { makeSubscriber, startPushService, type PushService } from '../helpers/push-service';
import { startCluster, type TestCluster } from '../helpers/redis-topology';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

let cluster: TestCluster;
let server: TestServer;
let push: PushService;
const receivers: WebhookReceiver[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  [cluster, push] = await Promise.all([startCluster({ masters: 3, replicasPerMaster: 0 }), startPushService()]);
  server = await startServer({ prefix: testPrefix('reach-cluster'), redisUrl: cluster.url, reach: { statsFlushMs: 200 } });
}, 120_000);

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  await server?.stop();
  await Promise.all([push?.close(), ...receivers.map((receiver) => receiver.close())]);
  await cluster?.stop();
});

it('delivers to several endpoints, pushes a key event and counts readers, with keys spread over the masters', async () => {
  const blogs = ['alpha', 'bravo', 'charlie'];
  for (const blogId of blogs) await createBlog(server.url, blogId);
  expect(new Set(await Promise.all(blogs.map(async (id) => (await cluster.masterForKey(`{${id}}`)).port))).size).toBeGreaterThan(1);

  // Three endpoints (three slots): one event's deliveries are logged in one go.
  for (let i = 0; i < 3; i++) {
    const receiver = await startWebhookReceiver();
    receivers.push(receiver);
    const created = await request<Webhook & { secret: string }>(server.url, 'POST', '/api/webhooks', { body: { url: receiver.url } });
    expect(created.status).toBe(201);
    receiver.useSecret(created.body.secret);
  }
  const subscriber = makeSubscriber(`${push.url}/push/cluster`);
  expect(
    (await request(server.url, 'POST', '/api/blogs/bravo/push-subscriptions', { body: subscriber.subscription, token: null })).status,
  ).toBe(201);
  const reader = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
  sockets.push(reader);
  await new Promise<void>((resolve) => reader.once('connect', () => resolve()));
  await reader.timeout(5_000).emitWithAck('blog:subscribe', { blogId: 'charlie' });

  const updates = await Promise.all(blogs.map((blogId) => publish(server.url, blogId, { body: `On ${blogId}`, keyEvent: true })));
  for (const receiver of receivers) {
    const deliveries = await receiver.waitFor(3, () => true, 15_000);
    expect(deliveries.map((delivery) => delivery.error)).toEqual([undefined, undefined, undefined]);
    expect(new Set(deliveries.map((delivery) => (delivery.body?.data as { blogId: string }).blogId))).toEqual(new Set(blogs));
  }
  const pushed = await waitFor(() => (push.messagesFor(subscriber) as PushMessage[])[0], 'the key event’s push', 15_000);
  expect(pushed).toMatchObject({ blogId: 'bravo', updateId: updates[1]!.id });
  const stats = await waitFor(async () => {
    const answer = await request<BlogStats>(server.url, 'GET', '/api/blogs/charlie/stats');
    return answer.body.readersNow === 1 ? answer.body : null;
  }, 'the reader counted');
  expect(stats.peakReaders).toBe(1);
  const figures = await request<BlogStats>(server.url, 'GET', '/api/blogs/bravo/stats');
  expect(figures.body).toMatchObject({ subscribers: 1, pushesSent: 1 });
}, 60_000);
