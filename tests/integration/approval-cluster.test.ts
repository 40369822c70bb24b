/**
 * The approval queue's and the audit trail's scripts on a real Redis Cluster: every key each script
 * touches shares the blog's hash tag, so each runs in one slot (a CROSSSLOT error otherwise).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { PendingUpdate, Update } from '../../shared/schemas';
import { startServer, type TestServer } from '../helpers/app';
import { startCluster, type TestCluster } from '../helpers/redis-topology';
import { testPrefix } from '../helpers/redis';

let cluster: TestCluster;
let server: TestServer;

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 0 });
  server = await startServer({ prefix: testPrefix('approval-cluster'), redisUrl: cluster.url });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await cluster?.stop();
});

const entry = (blogId: string, id: string): PendingUpdate => ({
  id,
  blogId,
  body: `entry ${id}`,
  html: `<p>entry ${id}</p>`,
  publishedAt: '2025-01-11T12:00:00.000Z',
  createdAt: '2025-01-11T12:00:00.000Z',
  pinned: false,
  keyEvent: true,
  version: 1,
  status: 'pending',
  submittedBy: { id: 'c1', name: 'Taras' },
  submittedAt: '2025-01-11T12:00:00.000Z',
});
const publishOf = ({ status: _s, submittedBy: _b, submittedAt: _a, rejection: _r, ...update }: PendingUpdate): Update => update;

it('queues, corrects, approves and rejects, and records every write, on blogs spread over the masters', async () => {
  const { timeline, stores } = server;
  const blogs = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
  const masters = new Set(await Promise.all(blogs.map(async (id) => (await cluster.masterForKey(`{${id}}`)).port)));
  expect(masters.size).toBeGreaterThan(1);
  for (const blogId of blogs) {
    await timeline.createBlog({
      id: blogId,
      title: blogId,
      status: 'live',
      createdAt: '2025-01-11T10:00:00.000Z',
      updatedAt: '2025-01-11T10:00:00.000Z',
    });
    await timeline.changeBlog(blogId, (current) => ({ ...current, title: `${blogId}!` }));
    const pinned = { ...publishOf(entry(blogId, 'p1')), pinned: true };
    await timeline.createUpdate(pinned, { key: 'k', fingerprint: 'f' });
    await timeline.createUpdate({ ...publishOf(entry(blogId, 'p2')), pinned: true });
    await timeline.changeUpdate(blogId, 'p2', (current) => ({ ...current, body: 'edited', version: 2 }));
    await timeline.submitPending(entry(blogId, 'a1'), undefined, { key: 'sub', fingerprint: 'f' });
    expect((await timeline.submitPending(entry(blogId, 'a1x'), undefined, { key: 'sub', fingerprint: 'f' })).created).toBe(false);
    await timeline.changePending(blogId, 'a1', (current) => ({ ...current, body: 'corrected', version: 2 }));
    const approved = await timeline.approvePending(blogId, 'a1', publishOf);
    expect(approved.events.map((event) => event.type)).toEqual(['update.created']);
    await timeline.submitPending(entry(blogId, 'r1'));
    await timeline.rejectPending(blogId, 'r1', (current) => ({
      ...current,
      status: 'rejected',
      rejection: { by: 'Olena', at: new Date().toISOString() },
    }));
    expect((await timeline.listPending(blogId)).map((e) => [e.id, e.status])).toEqual([['r1', 'rejected']]);
    await timeline.changeUpdate(blogId, 'p1', () => null);
    const trail = await stores.audit.list({ blogId }, { limit: 50 });
    expect(trail.entries.map((e) => e.action)).toEqual([
      'update.deleted',
      'update.rejected',
      'update.submitted',
      'update.approved',
      'update.edited',
      'update.submitted',
      'update.edited',
      'update.created',
      'update.unpinned',
      'update.created',
      'blog.changed',
      'blog.created',
    ]);
  }
}, 60_000);
