/**
 * The outbox (server/reach/outbox.ts): every logged event reaches the handlers that send beyond the
 * service, in order, at least once — after a crash between a write and its kick, after a handler that
 * failed, across two processes — and nothing from the approval queue ever does.
 */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import type { BlogEvent } from '../../shared/schemas';
import { createLogger } from '../../server/logger';
import { Outbox, type OutboxHandler } from '../../server/reach/outbox';
import { Approvals } from '../../server/service/approvals';
import { LiveBlogs, type Change } from '../../server/service/live-blogs';
import { redisStores, type Stores } from '../../server/store/open';
import { parseRedisUrl } from '../../server/store/redis/connection';
import { prefixCleaner } from '../helpers/app';
import { TEST_REDIS_URL, testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const EDITOR = { kind: 'token', id: 'tok-test', name: 'Desk' } as const;

/** Records what it is handed; `failures` makes its next calls throw. */
class Recorder implements OutboxHandler {
  constructor(readonly name = 'recorder') {}
  readonly events: BlogEvent[] = [];
  failures = 0;
  async handle(events: BlogEvent[]): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('receiver down');
    }
    this.events.push(...events);
  }
  /** Each event once, in the order first handed over. */
  unique(): BlogEvent[] {
    const seen = new Set<string>();
    return this.events.filter((event) => !seen.has(event.cursor) && seen.add(event.cursor));
  }
}

interface Process {
  stores: Stores;
  liveBlogs: LiveBlogs;
  outbox: Outbox;
  /** Whether its writes kick the outbox (false: it "crashes" between a write and its kick). */
  kicks: boolean;
  close(): Promise<void>;
}

describe('the outbox hands every logged event over, in order, at least once', () => {
  const prefix = testPrefix('outbox');
  const cleaner = prefixCleaner(prefix);
  const processes: Process[] = [];

  const start = async (handler: OutboxHandler | OutboxHandler[], sweepMs = 60_000): Promise<Process> => {
    const stores = await redisStores(parseRedisUrl(TEST_REDIS_URL), logger, { prefix, historyLength: 1000, minReplicas: 0 });
    const process: Process = {
      stores,
      kicks: true,
      outbox: new Outbox({ redis: stores.redis!, timeline: stores.timeline, logger, handlers: [handler].flat() }, { sweepMs }),
      liveBlogs: new LiveBlogs({
        timeline: stores.timeline,
        changed: (change: Change) => {
          if (!process.kicks) return;
          if (change.kind === 'events') void process.outbox.kick(change.events[0]!.blogId, change.events[0]!.prev);
          else if (change.kind === 'blog-created') void process.outbox.created(change.blogId, change.cursor);
        },
      }),
      close: async () => {
        await process.outbox.close();
        await stores.close();
      },
    };
    processes.push(process);
    return process;
  };

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((process) => process.close()));
  });
  afterAll(() => cleaner.cleanup());

  const publish = (process: Process, blogId: string, body: string, keyEvent = false) =>
    process.liveBlogs.publishUpdate(blogId, { body, keyEvent }, undefined, EDITOR);

  it('hands a new blog its events at once, in log order, each naming the one before', async () => {
    const recorder = new Recorder();
    const a = await start(recorder);
    await a.liveBlogs.createBlog({ id: 'fast', title: 'Fast' }, EDITOR);
    for (const body of ['one', 'two', 'three']) await publish(a, 'fast', body);
    const events = await waitFor(() => (recorder.events.length >= 3 ? recorder.events : null), 'three events');
    expect(events.map((event) => event.update?.body)).toEqual(['one', 'two', 'three']);
    expect(events[1]!.prev).toBe(events[0]!.cursor);
    expect(events[2]!.prev).toBe(events[1]!.cursor);
  });

  it('catches up, by its sweep, what a process stored and died before handing over', async () => {
    const recorder = new Recorder();
    const crashed = await start(new Recorder());
    await crashed.liveBlogs.createBlog({ id: 'crash', title: 'Crash' }, EDITOR);
    await waitFor(async () => (await crashed.stores.redis!.client.get(`${prefix}blog:{crash}:outbox:recorder`)) !== null, 'outbox started');
    crashed.kicks = false; // the write is stored, the process dies before its kick
    await publish(crashed, 'crash', 'stored, then the process died');
    await crashed.close();
    processes.splice(processes.indexOf(crashed), 1);

    await start(recorder, 300); // another process, whose sweep finds the blog behind
    const events = await waitFor(() => (recorder.events.length ? recorder.events : null), 'the sweep hands it over', 5_000);
    expect(events.map((event) => event.update?.body)).toEqual(['stored, then the process died']);
  });

  it('offers events again after a handler failed, without losing or reordering any', async () => {
    const recorder = new Recorder();
    const a = await start(recorder, 300);
    await a.liveBlogs.createBlog({ id: 'flaky', title: 'Flaky' }, EDITOR);
    recorder.failures = 2;
    for (const body of ['a', 'b', 'c']) await publish(a, 'flaky', body);
    await waitFor(() => recorder.unique().length >= 3, 'all three after the failures', 5_000);
    expect(recorder.unique().map((event) => event.update?.body)).toEqual(['a', 'b', 'c']);
  });

  it('keeps a cursor per handler: one that keeps failing holds back only itself, and catches up', async () => {
    const webhooks = new Recorder('webhooks');
    const push = new Recorder('push');
    push.failures = 1_000;
    const a = await start([push, webhooks], 300);
    await a.liveBlogs.createBlog({ id: 'apart', title: 'Apart' }, EDITOR);
    for (const body of ['x', 'y']) await publish(a, 'apart', body);
    await waitFor(() => webhooks.unique().length >= 2, 'webhooks gets both while push fails');
    expect(push.events).toEqual([]);
    push.failures = 0;
    await waitFor(() => push.unique().length >= 2, 'push catches up by the sweep', 5_000);
    expect(push.unique().map((event) => event.update?.body)).toEqual(['x', 'y']);
    expect(webhooks.unique().map((event) => event.update?.body)).toEqual(['x', 'y']);
  });

  it('starts a blog that existed before it at the head: nothing from before is sent', async () => {
    const before = await start(new Recorder());
    before.kicks = false;
    await before.liveBlogs.createBlog({ id: 'older', title: 'Older' }, EDITOR);
    await publish(before, 'older', 'from before webhooks existed');
    await before.close();
    processes.splice(processes.indexOf(before), 1);

    const recorder = new Recorder();
    const a = await start(recorder);
    await publish(a, 'older', 'after');
    await waitFor(() => recorder.events.length >= 1, 'the new event');
    expect(recorder.events.map((event) => event.update?.body)).toEqual(['after']);
  });

  it('across two processes, every event is handed over (at least once) in order', async () => {
    const recorder = new Recorder();
    const a = await start(recorder, 500);
    const b = await start(recorder, 500);
    await a.liveBlogs.createBlog({ id: 'shared', title: 'Shared' }, EDITOR);
    const bodies = Array.from({ length: 20 }, (_, i) => `u${i}`);
    await Promise.all(bodies.map((body, i) => publish(i % 2 ? b : a, 'shared', body)));
    await waitFor(() => recorder.unique().length >= 20, 'twenty events', 5_000);
    const unique = recorder.unique();
    expect(new Set(unique.map((event) => event.update?.body))).toEqual(new Set(bodies));
    // In log order: each event names the one handed over before it.
    for (let i = 1; i < unique.length; i++) expect(unique[i]!.prev).toBe(unique[i - 1]!.cursor);
  });

  it('never hands over a contributor’s entry until it is approved, nor a deleted update’s text', async () => {
    const recorder = new Recorder();
    const a = await start(recorder);
    await a.liveBlogs.createBlog({ id: 'queue', title: 'Queue' }, EDITOR);
    const approvals = new Approvals({ timeline: a.stores.timeline, liveBlogs: a.liveBlogs, pendingChanged: () => {} });
    const contributor = { kind: 'person', id: 'p1', name: 'Field reporter' } as const;
    await approvals.submit('queue', { body: 'unverified claim' }, { id: 'p1', name: 'Field reporter' }, contributor);
    await publish(a, 'queue', 'published');
    await waitFor(() => recorder.events.length >= 1, 'the published update');
    expect(JSON.stringify(recorder.events)).not.toContain('unverified claim');

    // Deleted before the outbox reads it: the log gives the deletion, never the text.
    a.kicks = false;
    const { update } = await publish(a, 'queue', 'taken down before it left');
    await a.liveBlogs.deleteUpdate('queue', update.id, undefined, EDITOR);
    a.kicks = true;
    await a.outbox.kick('queue');
    expect(JSON.stringify(recorder.events)).not.toContain('taken down before it left');
    expect(recorder.events.slice(-2).map((event) => [event.type, event.updateId ?? event.update?.id])).toEqual([
      ['update.deleted', update.id],
      ['update.deleted', update.id],
    ]);
  });
});
