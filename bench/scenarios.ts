/**
 * The measurements, each run the same way against the service and against the bare floor.
 */
import autocannon from 'autocannon';
import type { Redis } from 'ioredis';
import type { BlogEvent, SubscribePayload } from '../shared/schemas';
import type { SubscribeAck } from '../shared/events';
import { seqOf } from '../shared/cursor';
import type { Target } from './servers';
import { markerOf, WireClient } from './wire';

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : NaN);
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Publishes one update on a target, marked `bench-<marker>`. */
export type Publisher = (marker: number) => Promise<void>;

/** Connects `count` readers in batches and subscribes each to `blogId`. */
export async function connectReaders(
  urls: string[],
  count: number,
  blogId: string,
  onEvent: (reader: number, frame: string, at: number) => void,
): Promise<{ clients: WireClient[]; cursors: string[] }> {
  const clients: WireClient[] = [];
  const cursors: string[] = [];
  const BATCH = 250;
  for (let start = 0; start < count; start += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, count - start) }, async (_, offset) => {
        const index = start + offset;
        const client = await WireClient.connect(urls[index % urls.length], { onEvent: (frame, at) => onEvent(index, frame, at) });
        const ack = await client.emitWithAck<SubscribeAck>('blog:subscribe', { blogId } satisfies SubscribePayload);
        if (!ack.ok) throw new Error(`subscribe failed: ${ack.error.message}`);
        clients[index] = client;
        cursors[index] = ack.cursor;
      }),
    );
  }
  return { clients, cursors };
}

export interface FanOutResult {
  readers: number;
  updates: number;
  expected: number;
  delivered: number;
  duplicated: number;
  latencyMs: Percentiles;
  /** Publish call to the first reader's receipt, per update: the write path before the fan-out. */
  firstDeliveryMs: Percentiles;
}

/**
 * N readers subscribed to one blog; K updates published one at a time, `intervalMs` apart; the time
 * from each publish call to each reader receiving it. Memory: the server's RSS growth per reader.
 */
export async function fanOut(options: {
  targets: Target[];
  blogId: string;
  readers: number;
  updates: number;
  intervalMs: number;
  publish: Publisher;
}): Promise<FanOutResult> {
  const sentAt = new Map<number, number>();
  const received = new Map<number, Set<number>>();
  const latencies: number[] = [];
  const firsts = new Map<number, number>();
  let duplicated = 0;
  const { clients } = await connectReaders(
    options.targets.map((target) => target.url),
    options.readers,
    options.blogId,
    (reader, frame, at) => {
      const marker = markerOf(frame);
      const start = sentAt.get(marker);
      if (start === undefined) return;
      const seen = received.get(marker)!;
      if (seen.has(reader)) duplicated += 1;
      else {
        seen.add(reader);
        latencies.push(at - start);
        if (!firsts.has(marker)) firsts.set(marker, at - start);
      }
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 500));

  for (let k = 0; k < options.updates; k++) {
    const marker = Date.now() * 100 + k;
    received.set(marker, new Set());
    sentAt.set(marker, performance.now());
    await options.publish(marker);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
  // Let the last deliveries land.
  const expected = options.readers * options.updates;
  const deadline = Date.now() + 10_000;
  while (latencies.length < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  for (const client of clients) client.close();
  await new Promise((resolve) => setTimeout(resolve, 500));
  return {
    readers: options.readers,
    updates: options.updates,
    expected,
    delivered: latencies.length,
    duplicated,
    latencyMs: mapValues(percentiles(latencies), (value) => round(value, 2)),
    firstDeliveryMs: mapValues(percentiles([...firsts.values()]), (value) => round(value, 2)),
  };
}

/**
 * Memory per connected reader: RSS growth of a freshly started server when `readers` connect and
 * subscribe, after a warm-up (so that code paths compiled on first use are not counted) and a pause
 * for the collector.
 */
export async function memoryPerReader(target: Target, blogId: string, readers: number): Promise<number> {
  const warmUp = await connectReaders([target.url], Math.min(200, readers), blogId, () => {});
  warmUp.clients.forEach((client) => client.close());
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const before = target.rss();
  const { clients } = await connectReaders([target.url], readers, blogId, () => {});
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const after = target.rss();
  clients.forEach((client) => client.close());
  return round((after - before) / readers / 1024);
}

export interface StormResult {
  readers: number;
  missedUpdates: number;
  caughtUpMs: number;
  missed: number;
  duplicated: number;
  outOfOrder: number;
  /** Commands Redis served while the readers came back (INFO commandstats), from every client. */
  redisCommands: number;
  /** The same, by command. */
  redisCommandsByName: Record<string, number>;
}

/**
 * N readers drop at once (their process went away), M updates are published while they are away, then
 * all come back at once with their cursors to another, freshly started process: how long until every
 * one has caught up, what was missed or repeated, and how many commands Redis served meanwhile.
 */
export async function reconnectStorm(options: {
  target: Target;
  /** Where the readers come back (a process that has not followed the blog yet). */
  comeBackTo: Target;
  redis: Redis;
  blogId: string;
  readers: number;
  missedUpdates: number;
  publish: Publisher;
}): Promise<StormResult> {
  const { clients, cursors } = await connectReaders([options.target.url], options.readers, options.blogId, () => {});
  for (const client of clients) client.close();
  for (let k = 0; k < options.missedUpdates; k++) await options.publish(Date.now() * 100 + k);
  const commandsBefore = await redisCommandCounts(options.redis);
  let missed = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  const back: WireClient[] = [];
  const started = performance.now();
  await Promise.all(
    cursors.map(async (cursor) => {
      const client = await WireClient.connect(options.comeBackTo.url);
      back.push(client);
      const ack = await client.emitWithAck<SubscribeAck>('blog:subscribe', { blogId: options.blogId, cursor });
      if (!ack.ok) throw new Error(`catch-up failed: ${ack.error.message}`);
      const events: BlogEvent[] = ack.events;
      const unique = new Set(events.map((event) => event.cursor));
      duplicated += events.length - unique.size;
      missed += Math.max(0, options.missedUpdates - unique.size);
      let previous = cursor;
      for (const event of events) {
        if (event.prev !== previous) outOfOrder += 1;
        previous = event.cursor;
      }
    }),
  );
  const caughtUpMs = performance.now() - started;
  const commandsAfter = await redisCommandCounts(options.redis);
  const redisCommandsByName: Record<string, number> = {};
  for (const [name, calls] of Object.entries(commandsAfter)) {
    // Less the INFO call that read the counts.
    const served = calls - (commandsBefore[name] ?? 0) - (name === 'info' ? 1 : 0);
    if (served > 0) redisCommandsByName[name] = served;
  }
  const redisCommands = Object.values(redisCommandsByName).reduce((sum, calls) => sum + calls, 0);
  for (const client of back) client.close();
  return {
    readers: options.readers,
    missedUpdates: options.missedUpdates,
    caughtUpMs: round(caughtUpMs),
    missed,
    duplicated,
    outOfOrder,
    redisCommands,
    redisCommandsByName,
  };
}

/**
 * The floor of a reconnect storm: N readers connect at once and subscribe, on a server that only joins
 * the room and answers (no catch-up): what the connections themselves cost on this machine.
 */
export async function reconnectFloor(target: Target, readers: number): Promise<number> {
  const clients: WireClient[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: readers }, async () => {
      const client = await WireClient.connect(target.url);
      clients.push(client);
      await client.emitWithAck<SubscribeAck>('blog:subscribe', { blogId: 'fanout' });
    }),
  );
  const took = performance.now() - started;
  for (const client of clients) client.close();
  return round(took);
}

/** The commands Redis has served since it started, by name, from INFO commandstats. */
async function redisCommandCounts(redis: Redis): Promise<Record<string, number>> {
  const stats = await redis.info('commandstats');
  return Object.fromEntries([...stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map(([, name, calls]) => [name, Number(calls)]));
}

export interface PageLoadResult {
  requestsPerSecond: number;
  latencyP99Ms: number;
  errors: number;
}

export async function pageLoads(url: string, durationSeconds: number, connections = 50): Promise<PageLoadResult> {
  const result = await autocannon({ url, duration: durationSeconds, connections, pipelining: 1 });
  return {
    requestsPerSecond: round(result.requests.average),
    latencyP99Ms: round(result.latency.p99, 2),
    errors: result.errors + result.non2xx,
  };
}

function mapValues<T extends object>(value: T, map: (entry: number) => number): T {
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, map(entry as number)])) as T;
}

export interface SoakResult {
  readers: number;
  seconds: number;
  operations: { created: number; edited: number; deleted: number };
  events: number;
  delivered: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  rssStartMB: number;
  rssEndMB: number;
}

const CURSOR_AND_PREV = /"cursor":"([^"]+)","prev":"([^"]+)"/;

/**
 * Readers held for `seconds` while an editor publishes, edits and deletes at `perSecond`: every reader
 * must see every event once, in order (each event's `prev` is the cursor it holds).
 */
export async function soak(options: {
  target: Target;
  blogId: string;
  readers: number;
  seconds: number;
  perSecond: number;
  api: (method: string, path: string, body?: unknown) => Promise<Response>;
}): Promise<SoakResult> {
  const last: string[] = [];
  const counts = { delivered: 0, duplicated: 0, outOfOrder: 0 };
  const { cursors, clients } = await connectReaders([options.target.url], options.readers, options.blogId, (reader, frame) => {
    const match = CURSOR_AND_PREV.exec(frame);
    if (!match) return;
    const [, cursor, prev] = match;
    const held = last[reader];
    if (seqOf(cursor) <= seqOf(held)) counts.duplicated += 1;
    else {
      if (prev !== held) counts.outOfOrder += 1;
      last[reader] = cursor;
      counts.delivered += 1;
    }
  });
  cursors.forEach((cursor, reader) => (last[reader] = cursor));
  const start = cursors[0];
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const rssStart = options.target.rss();

  const live: string[] = [];
  const operations = { created: 0, edited: 0, deleted: 0 };
  const ends = Date.now() + options.seconds * 1_000;
  for (let n = 0; Date.now() < ends; n++) {
    const tick = Date.now();
    const roll = n % 10;
    if (roll < 7 || live.length < 3) {
      const update = (await (
        await options.api('POST', `/api/blogs/${options.blogId}/updates`, { body: `Soak ${n}: ${'text '.repeat(20)}` })
      ).json()) as { id: string };
      live.push(update.id);
      operations.created += 1;
    } else if (roll < 9) {
      await options.api('PATCH', `/api/blogs/${options.blogId}/updates/${live[n % live.length]}`, { body: `Soak ${n}, corrected` });
      operations.edited += 1;
    } else {
      await options.api('DELETE', `/api/blogs/${options.blogId}/updates/${live.splice(n % live.length, 1)[0]}`);
      operations.deleted += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1_000 / options.perSecond - (Date.now() - tick))));
  }
  const events = operations.created + operations.edited + operations.deleted;
  const deadline = Date.now() + 10_000;
  while (counts.delivered < events * options.readers && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const rssEnd = options.target.rss();
  for (const client of clients) client.close();
  // Every reader should now hold the cursor `events` after the one it started from.
  const startSeq = seqOf(start);
  const lost = last.reduce((sum, cursor) => sum + (startSeq + events - seqOf(cursor)), 0);
  return {
    readers: options.readers,
    seconds: options.seconds,
    operations,
    events,
    delivered: counts.delivered,
    lost,
    duplicated: counts.duplicated,
    outOfOrder: counts.outOfOrder,
    rssStartMB: round(rssStart / 2 ** 20),
    rssEndMB: round(rssEnd / 2 ** 20),
  };
}
