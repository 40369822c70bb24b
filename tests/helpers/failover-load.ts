/**
 * Load for the failover tests (tests/integration/failover.test.ts): a deployment of two service
 * processes on one Redis topology, an editor that publishes about ten updates a second and retries each
 * one (same Idempotency-Key) until it is acknowledged, and readers that keep what a screen would show,
 * fed by the browser's own LiveFeed over a real socket.io-client. Then the checks: what was acknowledged
 * is stored, what each reader shows is exactly what is stored, and what each reader was handed between
 * reloads has no gap and no duplicate.
 */
import { io } from 'socket.io-client';
import { LiveFeed, type ClientSocket } from '../../client/lib/live-feed';
import type { Blog, BlogEvent, Update, UpdatePage } from '../../shared/schemas';
import { ADMIN_TOKEN } from './app';
import { serviceEnv, startProcess, type ServerProcess } from './process';
import { testPrefix } from './redis';
import { waitFor } from './wait';

// ---------------------------------------------------------------------------------------------
// Deployment

export interface DeploymentOptions {
  /** Names the deployment in messages, its key prefix and its blog. */
  label: string;
  redisUrl: string;
  /** LIVEBLOG_MIN_REPLICAS; unset leaves the service's default (1 on Sentinel and Cluster). */
  minReplicas?: number;
  /** @default label */
  blogId?: string;
  /** @default 4, spread over both processes */
  readers?: number;
}

export interface Deployment {
  label: string;
  minReplicas: string;
  blogId: string;
  blog: Blog;
  processes: ServerProcess[];
  readers: Reader[];
  editor: Editor;
  stop(): Promise<void>;
}

export { serviceEnv };

/** Two processes (or those given), a blog, readers on both processes, live; an editor ready to start. */
export async function startDeployment(options: DeploymentOptions, given?: ServerProcess[]): Promise<Deployment> {
  const blogId = options.blogId ?? options.label;
  const processes: ServerProcess[] = given ?? [];
  const readers: Reader[] = [];
  let editor: Editor | undefined;
  const stop = async () => {
    await editor?.stop();
    for (const reader of readers) reader.close();
    if (!given) {
      for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.kill('SIGKILL');
      await Promise.all(processes.map((p) => p.exit));
    }
  };
  try {
    if (!given) {
      const prefix = testPrefix(`failover-${options.label}`);
      const env = serviceEnv(options.redisUrl, prefix, options.minReplicas);
      processes.push(...(await Promise.all([startProcess(env), startProcess(env)])));
    }
    const urls = processes.map((p) => p.url);
    const blog = await createBlogWithRetries(urls[0], blogId);
    for (let i = 0; i < (options.readers ?? 4); i++)
      readers.push(new Reader(`${options.label}/reader ${i}`, urls[i % urls.length], blogId, blog.cursor));
    await waitFor(() => readers.every((r) => r.live), `the readers of ${options.label} to be live`, 10_000);
    editor = new Editor(options.label, urls, blogId);
    return {
      label: options.label,
      minReplicas: options.minReplicas === undefined ? 'default' : String(options.minReplicas),
      blogId,
      blog,
      processes,
      readers,
      editor,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function createBlogWithRetries(url: string, blogId: string): Promise<Blog> {
  return waitFor(
    async () => {
      const response = await fetch(`${url}/api/blogs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: blogId, title: `Failover ${blogId}` }),
      });
      // 409: an earlier attempt answered 503 but stored it.
      if (response.status === 409) return (await (await fetch(`${url}/api/blogs/${blogId}`)).json()) as Blog;
      if (response.status !== 201) throw new Error(`create blog ${blogId}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Blog;
    },
    `the blog ${blogId} to be created`,
    10_000,
  );
}

// ---------------------------------------------------------------------------------------------
// Editor

export interface Ack {
  key: string;
  body: string;
  id: string;
  /** When the first attempt was sent. */
  firstTriedAt: number;
  /** When the 201 arrived. */
  ackedAt: number;
  /** The answer said Idempotent-Replayed: an earlier attempt had stored it. */
  replayed: boolean;
  attempts: number;
  /** The update as the 201 gave it. */
  update: Update;
}

export interface Attempt {
  key: string;
  url: string;
  startedAt: number;
  endedAt: number;
  /** The HTTP status, or 'error' (connection refused, reset) or 'timeout'. */
  outcome: number | 'error' | 'timeout';
  detail?: string;
}

/** How long one request may take before the editor gives up on it and retries. */
const REQUEST_TIMEOUT_MS = 4_000;
/** How long the editor keeps retrying one update before it gives up. */
const GIVE_UP_MS = 40_000;

/**
 * Publishes about `perSecond` updates a second, each with its own Idempotency-Key, each in a retry loop
 * of its own (so a slow answer does not slow the pace): any answer but 201 is retried with the same key,
 * with back-off, on the other process, until a 201 or GIVE_UP_MS.
 */
export class Editor {
  readonly acks: Ack[] = [];
  readonly attempts: Attempt[] = [];
  /** Updates given up on without a 201 (after GIVE_UP_MS, or when stopped), by key, with why. */
  readonly gaveUp: string[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private count = 0;
  private stopping = false;

  constructor(
    readonly label: string,
    private readonly urls: string[],
    readonly blogId: string,
    private readonly perSecond = 10,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.publishNext(), 1_000 / this.perSecond);
  }

  /**
   * Stops starting new updates and waits until every one started was acknowledged or given up; after
   * `deadlineMs` the retry loops are abandoned (their updates count as given up).
   */
  async stop(deadlineMs = 20_000): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([Promise.all([...this.inFlight]), deadline]);
    clearTimeout(timer);
    this.stopping = true;
    await Promise.all([...this.inFlight]);
  }

  /** Abandons the retry loops at once (cleanup after a failure). */
  abort(): void {
    this.stopping = true;
    clearInterval(this.timer);
  }

  /** Acknowledgements of updates created at or after `since` (server time: the same clock here). */
  acksCreatedSince(since: number): Ack[] {
    return this.acks.filter((ack) => Date.parse(ack.update.createdAt) >= since);
  }

  /** Answers other than 201 to attempts sent at or after `since`, by outcome. */
  failuresSince(since: number): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const attempt of this.attempts) {
      if (attempt.startedAt < since || attempt.outcome === 201) continue;
      counts[String(attempt.outcome)] = (counts[String(attempt.outcome)] ?? 0) + 1;
    }
    return counts;
  }

  /** Attempts that were retries (not an update's first), sent at or after `since`. */
  retriesSince(since: number): number {
    const first = new Set<string>();
    let retries = 0;
    for (const attempt of this.attempts) {
      if (!first.has(attempt.key)) first.add(attempt.key);
      else if (attempt.startedAt >= since) retries += 1;
    }
    return retries;
  }

  private publishNext(): void {
    const n = this.count++;
    const loop = this.publish(n).finally(() => this.inFlight.delete(loop));
    this.inFlight.add(loop);
  }

  private async publish(n: number): Promise<void> {
    const key = `${this.label}-${n}`;
    const body = `Update ${n} of ${this.label}`;
    const firstTriedAt = Date.now();
    for (let attempt = 0; !this.stopping; attempt++) {
      const url = this.urls[(n + attempt) % this.urls.length];
      const startedAt = Date.now();
      let outcome: Attempt['outcome'];
      let detail: string | undefined;
      try {
        const response = await fetch(`${url}/api/blogs/${this.blogId}/updates`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify({ body }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const text = await response.text();
        outcome = response.status;
        if (response.status === 201) {
          const update = JSON.parse(text) as Update;
          this.attempts.push({ key, url, startedAt, endedAt: Date.now(), outcome });
          this.acks.push({
            key,
            body,
            id: update.id,
            firstTriedAt,
            ackedAt: Date.now(),
            replayed: response.headers.get('idempotent-replayed') === 'true',
            attempts: attempt + 1,
            update,
          });
          return;
        }
        detail = text.slice(0, 300);
      } catch (error) {
        const name = (error as Error).name;
        outcome = name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'error';
        detail = String((error as Error).cause ?? error);
      }
      this.attempts.push({ key, url, startedAt, endedAt: Date.now(), outcome, detail });
      if (Date.now() - firstTriedAt > GIVE_UP_MS) {
        this.gaveUp.push(`${key} (no 201 within ${GIVE_UP_MS / 1000} s: ${this.outcomes(key)})`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 500) * (0.75 + Math.random() / 2)));
    }
    this.gaveUp.push(`${key} (abandoned when the editor stopped; ${this.outcomes(key)})`);
  }

  /** What the attempts for `key` were answered, in order, e.g. "503×3, timeout, 503×2". */
  private outcomes(key: string): string {
    const runs: [string, number][] = [];
    for (const attempt of this.attempts) {
      if (attempt.key !== key) continue;
      const what =
        attempt.outcome === 201
          ? '201'
          : `${attempt.outcome}${attempt.detail ? ` ${/"code":"(\w+)"/.exec(attempt.detail)?.[1] ?? attempt.detail.slice(0, 60)}` : ''}`;
      if (runs.at(-1)?.[0] === what) runs.at(-1)![1] += 1;
      else runs.push([what, 1]);
    }
    return runs.map(([what, n]) => (n > 1 ? `${what} ×${n}` : what)).join(', ');
  }
}

// ---------------------------------------------------------------------------------------------
// Readers

export interface Segment {
  /** The cursor the reader (re)started from: the first event handed on must follow it. */
  from: string;
  events: BlogEvent[];
}

/**
 * A reader's screen: the real LiveFeed on a real socket.io-client socket (WebSocket, reconnecting),
 * its updates by id as they are created, edited and deleted; on `onExpired`, the list reloaded from the
 * API (every page) and the feed reset to the cursor read with it, as the page does.
 */
export class Reader {
  readonly socket: ClientSocket;
  readonly feed: LiveFeed;
  updates = new Map<string, Update>();
  /** What was handed on, split at each reload. */
  readonly segments: Segment[];
  /** When each update first appeared on the screen (handed on as update.created, or in a reloaded list), by id. */
  readonly received = new Map<string, number>();
  /** When the screen changed: each batch handed on, each reload. */
  readonly changedAt: number[] = [];
  /** Gaps and duplicates in what was handed on, as found. */
  readonly problems: string[] = [];
  readonly expiries: string[] = [];
  reloads = 0;
  heads = 0;
  disconnects = 0;
  live = false;
  private reloading = false;
  private reloadAgain = false;
  private closed = false;

  constructor(
    readonly name: string,
    readonly url: string,
    readonly blogId: string,
    cursor: string,
  ) {
    this.segments = [{ from: cursor, events: [] }];
    this.socket = io(url, {
      transports: ['websocket'],
      reconnection: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
      forceNew: true,
    });
    this.socket.on('disconnect', () => (this.disconnects += 1));
    this.socket.on('blog:head', () => (this.heads += 1));
    this.feed = new LiveFeed(this.socket, blogId, cursor, {
      onEvents: (events) => this.handed(events),
      onStatus: (status) => {
        if (status === 'live') this.live = true;
      },
      onExpired: (reason) => {
        this.expiries.push(reason);
        void this.reload();
      },
    });
  }

  /** Whether a reload is under way or due. */
  get settling(): boolean {
    return this.reloading || this.reloadAgain;
  }

  close(): void {
    this.closed = true;
    this.feed.stop();
    this.socket.disconnect();
  }

  private handed(events: BlogEvent[]): void {
    this.changedAt.push(Date.now());
    const segment = this.segments.at(-1)!;
    for (const event of events) {
      const last = segment.events.at(-1)?.cursor ?? segment.from;
      if (event.prev !== last) this.problems.push(`gap: handed ${event.cursor} (prev ${event.prev}) after ${last}`);
      if (event.cursor === segment.from || segment.events.some((e) => e.cursor === event.cursor))
        this.problems.push(`duplicate: handed ${event.cursor} twice`);
      if (
        event.type === 'update.created' &&
        event.update &&
        segment.events.some((e) => e.type === 'update.created' && e.update?.id === event.update!.id)
      ) {
        this.problems.push(`duplicate: update ${event.update.id} created twice`);
      }
      segment.events.push(event);
      if (event.update) {
        this.updates.set(event.update.id, event.update);
        if (event.type === 'update.created' && !this.received.has(event.update.id)) this.received.set(event.update.id, Date.now());
      } else if (event.type === 'update.deleted' && event.updateId) {
        this.updates.delete(event.updateId);
      }
    }
  }

  /** The list read afresh (every page, with the cursor of the first), then live from that cursor. */
  private async reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return;
    }
    this.reloading = true;
    try {
      do {
        this.reloadAgain = false;
        const store = await readStore(this.url, this.blogId, 10_000).catch(() => undefined);
        if (this.closed) return;
        if (!store) {
          this.reloadAgain = true; // the store did not answer: try again shortly
          await new Promise((resolve) => setTimeout(resolve, 500));
          continue;
        }
        this.reloads += 1;
        this.changedAt.push(Date.now());
        this.updates = new Map(store.updates.map((update) => [update.id, update]));
        for (const update of store.updates) if (!this.received.has(update.id)) this.received.set(update.id, Date.now());
        this.segments.push({ from: store.cursor, events: [] });
        this.feed.reset(store.cursor);
      } while (this.reloadAgain && !this.closed);
    } finally {
      this.reloading = false;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The store, through the service

export interface StoreList {
  updates: Update[];
  /** The blog's cursor read with the first page. */
  cursor: string;
}

/** Every update of the blog, newest first, paging `GET /api/blogs/:id/updates` until there is no `next`. */
export async function readStore(url: string, blogId: string, timeoutMs = 10_000): Promise<StoreList> {
  return waitFor(
    async () => {
      const updates: Update[] = [];
      let cursor: string | undefined;
      let before: string | undefined;
      do {
        const response = await fetch(
          `${url}/api/blogs/${blogId}/updates?limit=100${before ? `&before=${encodeURIComponent(before)}` : ''}`,
          {
            signal: AbortSignal.timeout(3_000),
          },
        );
        if (response.status !== 200) throw new Error(`GET updates: ${response.status} ${await response.text()}`);
        const page = (await response.json()) as UpdatePage;
        cursor ??= page.cursor;
        updates.push(...page.updates);
        before = page.next;
      } while (before);
      return { updates, cursor: cursor! };
    },
    `the updates of ${blogId} from ${url}`,
    timeoutMs,
  );
}

/** How a reader's screen differs from the store: ids missing, ids extra, ids whose body differs. */
export function screenDiff(store: Update[], screen: Map<string, Update>): { missing: string[]; extra: string[]; different: string[] } {
  const stored = new Map(store.map((update) => [update.id, update]));
  return {
    missing: [...stored.keys()].filter((id) => !screen.has(id)),
    extra: [...screen.keys()].filter((id) => !stored.has(id)),
    different: [...stored.values()]
      .filter((u) => screen.has(u.id) && JSON.stringify(screen.get(u.id)) !== JSON.stringify(u))
      .map((u) => u.id),
  };
}

export function sameScreen(store: Update[], screen: Map<string, Update>): boolean {
  const diff = screenDiff(store, screen);
  return !diff.missing.length && !diff.extra.length && !diff.different.length;
}

// ---------------------------------------------------------------------------------------------
// After the fault

export interface Outcome {
  label: string;
  minReplicas: string;
  store: StoreList;
  acked: number;
  /** Acknowledged updates (201) that the store does not hold, or holds with another body. */
  lost: Ack[];
  /** Updates in the store that no 201 named (stored twice for one key, or never acknowledged). */
  unacknowledged: Update[];
  /** Updates some reader was shown that the store no longer holds (the failover dropped them). */
  withdrawn: number;
  /** ms from the fault to the first 201 of an update created after it. */
  firstAckAfterFault?: number;
  /** ms from the fault until every reader showed an update created after it (the slowest reader). */
  firstDeliveryAfterFault?: number;
  /** The longest stretch without a 201, from the fault until the editor stopped. */
  longestWithoutAck: number;
  /** The longest stretch in which some reader's screen did not change, from the fault until the editor stopped. */
  longestWithoutDelivery: number;
  failuresAfterFault: Record<string, number>;
  /** Every answer other than 201, before the fault too. */
  failures: Record<string, number>;
  /** The last answer other than 201 (process, status, body), to say why publishing did not resume. */
  lastFailure?: string;
  /** What the processes logged for each answer 500 (the error's message), for a failing test's message. */
  serverErrors: string[];
  retriesAfterFault: number;
  replayed: number;
  reloads: number;
  expiries: number;
  /** Readers whose screen differs from the store (after waiting for quiet), with how. */
  screens: { reader: string; missing: string[]; extra: string[]; different: string[] }[];
  problems: string[];
  exited: string[];
  gaveUp: string[];
}

/**
 * Stops the editor (every update it started ends acknowledged or given up), waits up to `quietMs` for
 * every reader to show what the store holds, and gathers what the assertions need.
 */
export async function finish(deployment: Deployment, faultAt: number, quietMs = 10_000): Promise<Outcome> {
  const { editor, readers, processes } = deployment;
  const stoppedAt = Date.now();
  await editor.stop(10_000);
  // Through whichever process answers (each reads with a connection of its own).
  const read = async () => {
    const errors: string[] = [];
    for (const p of processes) {
      try {
        return await readStore(p.url, deployment.blogId, 3_000);
      } catch (error) {
        errors.push(`${p.url}: ${(error as Error).message}`);
      }
    }
    // ioredis says "Connection is closed." for a client that gave up reconnecting for good.
    const ended = processes.filter((p) => (p.stdout() + p.stderr()).includes('Connection is closed.')).map((p) => p.url);
    throw new Error(
      `the store of ${deployment.label} cannot be read through any of its processes: ${errors.join('; ')}` +
        (ended.length ? `; the logs of ${ended.join(', ')} say "Connection is closed." (a Redis client that stopped reconnecting)` : ''),
    );
  };
  let store = await read();
  await waitFor(
    async () => {
      store = await read();
      return readers.every((r) => !r.settling && sameScreen(store.updates, r.updates));
    },
    `every reader of ${deployment.label} to show what the store holds`,
    quietMs,
  ).catch(() => undefined); // the assertions say how they differ
  store = await read();
  const stored = new Map(store.updates.map((update) => [update.id, update]));
  const ackedIds = new Set(editor.acks.map((ack) => ack.id));
  const postFault = new Set(store.updates.filter((update) => Date.parse(update.createdAt) >= faultAt).map((update) => update.id));
  const firstAck = editor
    .acksCreatedSince(faultAt)
    .map((ack) => ack.ackedAt)
    .sort((a, b) => a - b)[0];
  const deliveries = readers.map((r) => Math.min(...[...r.received].filter(([id]) => postFault.has(id)).map(([, at]) => at)));
  const slowest = Math.max(...deliveries);
  return {
    label: deployment.label,
    minReplicas: deployment.minReplicas,
    store,
    acked: editor.acks.length,
    lost: editor.acks.filter((ack) => stored.get(ack.id)?.body !== ack.body),
    unacknowledged: store.updates.filter((update) => !ackedIds.has(update.id)),
    withdrawn: new Set(readers.flatMap((r) => [...r.received.keys()].filter((id) => !stored.has(id)))).size,
    firstAckAfterFault: firstAck === undefined ? undefined : firstAck - faultAt,
    firstDeliveryAfterFault: Number.isFinite(slowest) ? slowest - faultAt : undefined,
    longestWithoutAck: longestGap(
      editor.acks.map((ack) => ack.ackedAt),
      faultAt,
      stoppedAt,
    ),
    longestWithoutDelivery: Math.max(...readers.map((r) => longestGap(r.changedAt, faultAt, stoppedAt))),
    failuresAfterFault: editor.failuresSince(faultAt),
    failures: editor.failuresSince(0),
    serverErrors: processes.flatMap((p) => serverErrors(p.stdout() + p.stderr())),
    lastFailure: [...editor.attempts]
      .reverse()
      .filter((a) => a.outcome !== 201)
      .map((a) => `${a.url} ${a.outcome} ${a.detail ?? ''}`.trim())[0],
    retriesAfterFault: editor.retriesSince(faultAt),
    replayed: editor.acks.filter((ack) => ack.replayed).length,
    reloads: readers.reduce((sum, r) => sum + r.reloads, 0),
    expiries: readers.reduce((sum, r) => sum + r.expiries.length, 0),
    screens: readers
      .map((r) => ({ reader: r.name, ...screenDiff(store.updates, r.updates) }))
      .filter((d) => d.missing.length || d.extra.length || d.different.length),
    problems: readers.flatMap((r) => r.problems.map((problem) => `${r.name}: ${problem}`)),
    exited: processes
      .filter((p) => p.child.exitCode !== null || p.child.signalCode !== null)
      .map((p) => `${p.url} exited (${p.child.exitCode ?? p.child.signalCode}): ${p.stderr().slice(-1000)}`),
    gaveUp: [...editor.gaveUp],
  };
}

/** The errors behind the answers 500 in a process's log (pino JSON lines of errors.ts's errorHandler). */
export function serverErrors(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => line.includes('"msg":"request failed"'))
    .map((line) => {
      try {
        const entry = JSON.parse(line) as { method?: string; url?: string; err?: { type?: string; message?: string; stack?: string } };
        return `${entry.method} ${entry.url}: ${entry.err?.type}: ${entry.err?.message} ${entry.err?.stack?.split('\n').slice(1, 4).join(' ') ?? ''}`;
      } catch {
        return line.slice(0, 500);
      }
    });
}

/** The longest interval between `from`, the times in between, and `to`. */
function longestGap(times: number[], from: number, to: number): number {
  const points = [from, ...times.filter((t) => t > from && t < to).sort((a, b) => a - b), to];
  return Math.max(...points.slice(1).map((t, i) => t - points[i]));
}

/** One line of figures for the test's output. */
export function describeOutcome(scenario: string, outcome: Outcome): string {
  const failures =
    Object.entries(outcome.failuresAfterFault)
      .map(([what, n]) => `${n}×${what}`)
      .join(', ') || 'none';
  return (
    `${scenario} [${outcome.label}, LIVEBLOG_MIN_REPLICAS=${outcome.minReplicas}]: ` +
    `first 201 of a new update ${outcome.firstAckAfterFault ?? '—'} ms after the fault, ` +
    `every reader showed one ${outcome.firstDeliveryAfterFault ?? '—'} ms after; ` +
    `longest stretch without a 201 ${outcome.longestWithoutAck} ms, without a reader's screen changing ${outcome.longestWithoutDelivery} ms; ` +
    `${outcome.acked} acknowledged, ${outcome.lost.length} of them LOST, ${outcome.unacknowledged.length} stored unacknowledged; ` +
    `non-201 answers after the fault: ${failures}; ${outcome.retriesAfterFault} retries, ${outcome.replayed} replayed; ` +
    `readers: ${outcome.expiries} cursor_expired, ${outcome.reloads} reloads, ${outcome.withdrawn} update(s) shown then withdrawn`
  );
}
