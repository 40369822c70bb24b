/**
 * Failovers under load, with real Redis processes started by the test (tests/helpers/redis-topology.ts)
 * and the real service as child processes (dist/server/main.js: build first, `npm run build:server`).
 *
 * On a Sentinel set (a primary, two replicas, three sentinels) the primary is killed, paused (SIGSTOP for
 * 12 s) and switched over (SENTINEL FAILOVER); on a Cluster (3 masters, 2 replicas each) every route is
 * used, then the master that owns the blog is killed. Meanwhile two service processes serve readers
 * (the browser's LiveFeed over socket.io-client, on both processes) and an editor publishes about ten
 * updates a second, retrying each (same Idempotency-Key, either process) until it gets a 201.
 * Each run asserts:
 * - every 201 survives: the store holds every acknowledged update, and nothing else;
 * - every reader ends with exactly the blog's updates, and was handed no gap and no duplicate between
 *   reloads (a reader whose cursor the store lost gets cursor_expired and reloads the list);
 * - no process exits; a new update is acknowledged, and shown to every reader, within 15 s of the fault,
 *   and neither the 201s nor a reader's screen stop for longer than that after it; no answer is a 500.
 *
 * The control: the durability step (WAIT for LIVEBLOG_MIN_REPLICAS replicas) is what keeps acknowledged
 * writes, and the test can tell. Beside each deployment with it, a second deployment with
 * LIVEBLOG_MIN_REPLICAS=0 runs through the same fault. Before the fault the replicas are frozen and cut
 * off from the primary (SIGSTOP, then CLIENT KILL TYPE replica on the primary: frozen alone they would
 * still find the writes in their socket buffers when resumed), so the primary alone takes the next
 * writes: the deployment without WAIT answers them 201, the one with WAIT answers 503 and its editor
 * retries them later. Then the primary fails and a replica is promoted without those writes. The
 * durability check must fail for the deployment without WAIT (it lost 201s) and pass for the other.
 *
 * Figures (time to the first 201 and to delivery after the fault, 503s and retries, losses) are printed.
 * FAILOVER_TRACE=1 prints each step as it happens, and the processes' logs when publishing does not resume.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Blog, BlogEvent, Update, UpdatePage } from '../../shared/schemas';
import { request } from '../helpers/api';
import { describeOutcome, finish, serviceEnv, startDeployment, type Deployment, type Outcome } from '../helpers/failover-load';
import { killAll, startProcess, type ServerProcess } from '../helpers/process';
import { connectReader } from '../helpers/reader';
import { testPrefix } from '../helpers/redis';
import {
  startCluster,
  startSentinelSet,
  type ClusterNode,
  type DataNode,
  type TestCluster,
  type SentinelSet,
} from '../helpers/redis-topology';
import { waitFor } from '../helpers/wait';

/** What the issue asks: a new update is acknowledged, and delivered, within this long after the fault. */
const RESUME_WITHIN_MS = 15_000;

const cleanups: (() => Promise<void> | void)[] = [];

/** Runs (in reverse order) and forgets every cleanup registered so far; failures are reported, not thrown. */
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error('cleanup failed', error);
    }
  }
}

afterAll(async () => {
  // Killed first: a case that ran out of time may still hold its cleanups, waiting on a busy machine.
  killAll();
  await cleanUp();
}, 60_000);

/**
 * The deployment with WAIT kept every 201 and its readers match the store; the control without WAIT
 * failed the same durability check (it lost the writes the primary alone had), while its readers, told
 * cursor_expired, still ended with exactly what the store holds.
 */
function expectDurableAndControlLost(withWait: Outcome, withoutWait: Outcome): void {
  expect({ durability: durabilityViolations(withWait), delivery: deliveryViolations(withWait) }).toEqual({ durability: [], delivery: [] });
  expect(withoutWait.lost.length).toBeGreaterThan(0);
  expect(durabilityViolations(withoutWait).some((v) => v.startsWith('acknowledged (201), then lost'))).toBe(true);
  expect(deliveryViolations(withoutWait)).toEqual([]);
}

async function sentinelSet(): Promise<SentinelSet> {
  const set = await startSentinelSet();
  cleanups.push(() => set.stop());
  return set;
}

async function deploy(
  label: string,
  redisUrl: string,
  minReplicas?: number,
  blogId?: string,
  given?: ServerProcess[],
): Promise<Deployment> {
  const deployment = await startDeployment({ label, redisUrl, minReplicas, blogId, readers: 4 }, given);
  cleanups.push(() => {
    deployment.editor.abort();
    return deployment.stop();
  });
  return deployment;
}

const TRACE = process.env.FAILOVER_TRACE === '1';
let traceStart = Date.now();
/** With FAILOVER_TRACE=1, each step of a scenario as it happens. */
function trace(step: string): void {
  if (TRACE) process.stderr.write(`[failover +${Date.now() - traceStart} ms] ${step}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until each editor has had `count` updates acknowledged (in all), so that the load is steady. */
async function steady(deployments: Deployment[], count = 10): Promise<void> {
  for (const d of deployments) d.editor.start();
  await waitFor(() => deployments.every((d) => d.editor.acks.length >= count), 'steady publishing before the fault', 15_000);
}

/** Keeps the load on until each deployment had `count` updates created after `since` acknowledged. */
async function publishedSince(deployments: Deployment[], since: number, count: number, timeoutMs: number): Promise<void> {
  await waitFor(
    () => deployments.every((d) => d.editor.acksCreatedSince(since).length >= count),
    `${count} updates created after the fault to be acknowledged`,
    timeoutMs,
  ).catch(() => {
    // the outcome's figures and assertions say what went wrong
    for (const d of deployments) {
      trace(
        `${d.label}: ${d.editor.acksCreatedSince(since).length} acknowledged since; failures ${JSON.stringify(d.editor.failuresSince(since))}; last: ${JSON.stringify(d.editor.attempts.slice(-3))}`,
      );
      for (const p of d.processes) trace(`${d.label} ${p.url} output:\n${(p.stdout() + p.stderr()).slice(-4000)}`);
    }
  });
}

/**
 * The replicas frozen and cut off from `primary`, which then takes writes alone; waits until the
 * deployment without WAIT got some 201s and the one with WAIT some 503s. Returns the replicas' resume.
 */
async function lagReplicas(
  primary: DataNode,
  replicas: DataNode[],
  withWait: Deployment,
  withoutWait: Deployment,
): Promise<{ at: number; resume(): void }> {
  for (const replica of replicas) replica.pause();
  const killed = await primary.call<number>('CLIENT', 'KILL', 'TYPE', 'replica');
  expect(killed).toBe(replicas.length);
  const at = Date.now();
  const acked = () => withoutWait.editor.acks.filter((ack) => ack.ackedAt > at).length;
  const refused = () => withWait.editor.attempts.filter((attempt) => attempt.startedAt >= at && attempt.outcome === 503).length;
  await waitFor(
    () => acked() >= 5 && refused() >= 3,
    'writes to the primary alone: 201s without WAIT, 503s with it',
    30_000, // each 503 waits 1 s for replicas, and a busy machine paces the editors slower (10 s ran out once)
  ).catch((error: unknown) => {
    // Which side fell short, and what its last attempts met.
    const last = (d: Deployment) => JSON.stringify(d.editor.attempts.slice(-3));
    throw new Error(
      `${String(error)}: ${acked()} 201s without WAIT (last: ${last(withoutWait)}), ${refused()} 503s with it (last: ${last(withWait)})`,
      { cause: error },
    );
  });
  return { at, resume: () => replicas.forEach((replica) => replica.resume()) };
}

/** `what` with the number of cases and the first few of them, or nothing when there are none. */
function summary(what: string, cases: string[]): string[] {
  return cases.length ? [`${what}: ${cases.length}, e.g. ${cases.slice(0, 5).join('; ')}`] : [];
}

/** What breaks "every 201 survives". */
function durabilityViolations(o: Outcome): string[] {
  return [
    ...summary(
      'acknowledged (201), then lost',
      o.lost.map((ack) => `update ${ack.id} (${ack.key})`),
    ),
    ...summary(
      'stored without a 201 naming it',
      o.unacknowledged.map((u) => `update ${u.id} "${u.body}"`),
    ),
    ...summary('never acknowledged', o.gaveUp),
  ];
}

/** What breaks the rest: readers exact, no gap or duplicate, processes up, resumed in time, no 500. */
function deliveryViolations(o: Outcome): string[] {
  return [
    ...o.screens.map(
      (s) =>
        `${s.reader} does not show what the store holds: missing ${s.missing.length} (${s.missing.slice(0, 5).join(',')}), extra ${s.extra.length} (${s.extra.slice(0, 5).join(',')}), different ${s.different.length} (${s.different.slice(0, 5).join(',')})`,
    ),
    ...summary('gaps and duplicates handed to readers', o.problems),
    ...o.exited,
    ...(o.firstAckAfterFault === undefined || o.firstAckAfterFault > RESUME_WITHIN_MS
      ? [
          `no new update acknowledged within ${RESUME_WITHIN_MS} ms of the fault (${o.firstAckAfterFault ?? 'none'}; answers after it: ${JSON.stringify(o.failuresAfterFault)}, the last: ${o.lastFailure})`,
        ]
      : []),
    ...(o.firstDeliveryAfterFault === undefined || o.firstDeliveryAfterFault > RESUME_WITHIN_MS
      ? [`not every reader showed a new update within ${RESUME_WITHIN_MS} ms of the fault (${o.firstDeliveryAfterFault ?? 'some never'})`]
      : []),
    ...(o.longestWithoutAck > RESUME_WITHIN_MS ? [`${o.longestWithoutAck} ms without a 201 after the fault`] : []),
    ...(o.longestWithoutDelivery > RESUME_WITHIN_MS
      ? [`${o.longestWithoutDelivery} ms in which a reader's screen did not change after the fault`]
      : []),
    ...(o.failures['500'] ? [`${o.failures['500']} answers 500: ${o.serverErrors.slice(0, 3).join(' | ') || 'nothing logged'}`] : []),
  ];
}

function report(scenario: string, outcomes: Outcome[], extra = ''): void {
  console.log([...outcomes.map((o) => describeOutcome(scenario, o)), extra].filter(Boolean).join('\n'));
}

/**
 * A Sentinel set with two deployments publishing steadily on it — one waiting for the default number of
 * replicas (1 on Sentinel), the control not waiting — then its replicas cut off, so that the primary
 * alone holds the writes that follow: the state a fault of the primary is then applied to.
 */
async function primaryAloneWithWrites(name: string) {
  traceStart = Date.now();
  const set = await sentinelSet();
  trace('sentinel set up');
  const [durable, control] = await Promise.all([deploy(name, set.url), deploy(`${name}-nowait`, set.url, 0)]);
  trace('deployments up');
  await steady([durable, control]);
  trace('publishing steadily');
  const primary = await set.primary();
  const lag = await lagReplicas(
    primary,
    set.nodes.filter((n) => n !== primary),
    durable,
    control,
  );
  trace('replicas cut off; the primary alone took writes');
  return { set, durable, control, primary, lag };
}

describe('Sentinel: a primary with two replicas and three sentinels', () => {
  it('the primary killed (SIGKILL) with writes it alone had: every 201 survives with WAIT, and the control without WAIT loses 201s', async () => {
    try {
      const { set, durable, control, primary, lag } = await primaryAloneWithWrites('kill');
      await primary.kill();
      const faultAt = Date.now();
      trace('primary killed');
      lag.resume();
      const next = await set.waitForPrimaryChange(primary.port, 20_000);
      trace('a replica promoted');
      const promotedAfter = Date.now() - faultAt;
      await publishedSince([durable, control], faultAt, 30, 20_000);
      trace('published after the fault');
      const [withWait, withoutWait] = await Promise.all([finish(durable, faultAt), finish(control, faultAt)]);
      trace('figures gathered');
      report(
        'Sentinel, primary killed',
        [withWait, withoutWait],
        `  (replicas cut off ${faultAt - lag.at} ms before the kill; port ${next.port} promoted ${promotedAfter} ms after it)`,
      );

      expectDurableAndControlLost(withWait, withoutWait);
    } finally {
      await cleanUp();
    }
  }, 90_000);

  it('the primary paused (SIGSTOP 12 s, then SIGCONT) with writes it alone had: every 201 survives with WAIT, and the control without WAIT loses 201s', async () => {
    try {
      const { set, durable, control, primary, lag } = await primaryAloneWithWrites('pause');
      primary.pause();
      const faultAt = Date.now();
      lag.resume();
      // Sentinels usually agree in 2–4 s; a split vote waits 2 x failover-timeout (10 s) to try again, which
      // a busy machine sees now and then: the primary stays frozen until then.
      const next = await set.waitForPrimaryChange(primary.port, 30_000);
      trace('a replica promoted');
      const promotedAfter = Date.now() - faultAt;
      await sleep(Math.max(faultAt + 12_000 - Date.now(), 1_000)); // the fault itself: frozen for 12 s or more
      primary.resume();
      const resumedAt = Date.now();
      // The old primary comes back a writable master with the writes it alone had, until the sentinels
      // turn it into a replica of the new one (about 10 s): keep publishing through that.
      await set.waitForSettled(25_000);
      trace('the set settled');
      const settledAfter = Date.now() - resumedAt;
      await publishedSince([durable, control], Date.now(), 5, 10_000);
      trace('published after the fault');
      const [withWait, withoutWait] = await Promise.all([finish(durable, faultAt), finish(control, faultAt)]);
      trace('figures gathered');
      report(
        'Sentinel, primary paused 12 s',
        [withWait, withoutWait],
        `  (replicas cut off ${faultAt - lag.at} ms before the pause; port ${next.port} promoted ${promotedAfter} ms after it; the old primary a replica again ${settledAfter} ms after SIGCONT)`,
      );

      expectDurableAndControlLost(withWait, withoutWait);
    } finally {
      await cleanUp();
    }
  }, 120_000);

  it('a switchover (SENTINEL FAILOVER): every 201 survives with LIVEBLOG_MIN_REPLICAS=2; =1 is measured beside it', async () => {
    try {
      traceStart = Date.now();
      const set = await sentinelSet();
      // Measured: with WAIT 1 the old primary, still writable for a while after the promotion, has its
      // writes acknowledged by the other replica (not yet moved to the new primary), which then drops them
      // when it resyncs from the new one. WAIT 2 needs the promoted replica too, so those writes get 503.
      const [all, one] = await Promise.all([deploy('switchover', set.url, 2), deploy('switchover-wait1', set.url, 1)]);
      trace('deployments up');
      await steady([all, one]);
      trace('publishing steadily');
      const old = await set.primary();
      const faultAt = Date.now();
      const next = await set.failover(15_000);
      trace('switched over');
      const promotedAfter = Date.now() - faultAt;
      await set.waitForSettled(25_000);
      trace('the set settled');
      const settledAfter = Date.now() - faultAt;
      await publishedSince([all, one], Date.now(), 5, 10_000);
      trace('published after the fault');
      const [withAll, withOne] = await Promise.all([finish(all, faultAt), finish(one, faultAt)]);
      trace('figures gathered');
      report(
        'Sentinel, switchover',
        [withAll, withOne],
        `  (port ${old.port} → ${next.port}: promoted ${promotedAfter} ms after SENTINEL FAILOVER, the old primary a replica in sync after ${settledAfter} ms)`,
      );

      expect({ durability: durabilityViolations(withAll), delivery: deliveryViolations(withAll) }).toEqual({
        durability: [],
        delivery: [],
      });
      // With WAIT 1 a switchover may lose acknowledged writes (see above): reported, not asserted. The
      // readers must still end exact, told cursor_expired where the store lost what they had.
      expect(deliveryViolations(withOne)).toEqual([]);
    } finally {
      await cleanUp();
    }
  }, 75_000);
});

// Two replicas per master: with one, the replica promoted in place of a killed master has none left, and
// with the default LIVEBLOG_MIN_REPLICAS=1 every write to that master's slots answers 503 until the
// killed node is back (measured: no 201 at all in the 25 s after the kill). With two, the other replica
// follows the promoted one and writes are acknowledged again within seconds.
describe('Cluster: three masters with two replicas each', () => {
  it('answers every route on both processes without a cross-slot error or a 500, then keeps every 201 when the blog’s master is killed', async () => {
    try {
      traceStart = Date.now();
      const cluster = await startCluster({ replicasPerMaster: 2 });
      trace('cluster up');
      cleanups.push(() => cluster.stop());
      const prefix = testPrefix('failover-cluster');
      const env = serviceEnv(cluster.url, prefix); // LIVEBLOG_MIN_REPLICAS unset: the default on Cluster, 1
      const processes = await Promise.all([startProcess(env), startProcess(env)]);
      cleanups.push(async () => {
        for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.kill('SIGKILL');
        await Promise.all(processes.map((p) => p.exit));
      });
      const [a, b] = processes;

      // Every route, written through one process and read through the other, both ways.
      const routeFailures = [...(await everyRoute(a, b, 'routes-one')), ...(await everyRoute(b, a, 'routes-two'))];
      const logs = processes.map((p) => p.stdout() + p.stderr()).join('\n');
      expect(routeFailures).toEqual([]);
      expect(logs).not.toMatch(/CROSSSLOT/);
      expect(logs.split('\n').filter((line) => /"level":(50|60)/.test(line))).toEqual([]);

      // The failover: the master of the blog's slot killed, its replicas cut off just before (for the control).
      const durable = await deploy('cluster', cluster.url, undefined, 'cluster-live', processes);
      trace('deployment up');
      const master = await cluster.masterForKey('{cluster-live}');
      const controlBlog = await blogOnMaster(cluster, master, 'cluster-nowait');
      const control = await deploy('cluster-nowait', cluster.url, 0, controlBlog);
      trace('deployment up');
      const replicas = await cluster.replicasOf(master);
      expect(replicas).toHaveLength(2);
      const busMaster = await cluster.masterForKey(`${prefix}bus`);
      await steady([durable, control]);
      trace('publishing steadily');
      const lag = await lagReplicas(master, replicas, durable, control);
      trace('replicas cut off; the primary alone took writes');
      await master.kill();
      const faultAt = Date.now();
      trace('master killed');
      lag.resume();
      const promoted = await waitFor(
        async () => {
          for (const replica of replicas) if ((await replica.role()) === 'master') return replica;
          return undefined;
        },
        'a replica to be promoted',
        20_000,
      );
      const promotedAfter = Date.now() - faultAt;
      await cluster.waitForHealthy(20_000);
      trace('cluster healthy');
      const healthyAfter = Date.now() - faultAt;
      await publishedSince([durable, control], faultAt, 30, 20_000);
      trace('published after the fault');
      const [withWait, withoutWait] = await Promise.all([finish(durable, faultAt), finish(control, faultAt)]);
      trace('figures gathered');
      report(
        'Cluster, the blog’s master killed',
        [withWait, withoutWait],
        `  (master ${master.port} killed ${faultAt - lag.at} ms after its replicas were cut off; replica ${promoted.port} master after ${promotedAfter} ms, cluster healthy after ${healthyAfter} ms; the processes' bus channel is on ${busMaster.port === master.port ? 'that master too' : 'another master'})`,
      );

      expectDurableAndControlLost(withWait, withoutWait);
      expect([...processes, ...control.processes].every((p) => p.child.exitCode === null && p.child.signalCode === null)).toBe(true);

      // The killed master comes back as a replica of the node that replaced it.
      await master.restart();
      await waitFor(async () => (await master.role()) === 'slave', 'the old master to rejoin as a replica', 15_000);
      trace('the old master is a replica again');
    } finally {
      await cleanUp();
    }
  }, 240_000); // nine redis-servers on two cores: slow to form when the machine is busy (150 s ran out twice in CI), quick to fail over
});

/** A blog id, starting with `base`, whose keys (hash tag `{id}`) live on `master`. */
async function blogOnMaster(cluster: TestCluster, master: ClusterNode, base: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const id = `${base}-${i}`;
    if ((await cluster.masterForKey(`{${id}}`)).port === master.port) return id;
  }
  throw new Error(`no blog id ${base}-N on the master on port ${master.port}`);
}

/**
 * Every route of the contract once, writes through `w` and reads through `r`: a list of what did not
 * answer its success status (empty when all did).
 */
async function everyRoute(w: ServerProcess, r: ServerProcess, blogId: string): Promise<string[]> {
  const failures: string[] = [];
  const call = async <T = unknown>(
    expected: number,
    base: string,
    method: string,
    path: string,
    options: Parameters<typeof request>[3] = {},
  ) => {
    const response = await request<T>(base, method, path, options);
    if (response.status !== expected) {
      failures.push(
        `${method} ${path} on ${base}: ${response.status} (expected ${expected}) ${JSON.stringify(response.body).slice(0, 300)}`,
      );
    }
    return response;
  };
  const api = `/api/blogs/${blogId}`;

  const blog = (await call<Blog>(201, w.url, 'POST', '/api/blogs', { body: { id: blogId, title: `Routes ${blogId}` } })).body;
  const reader = await connectReader(r.url);
  try {
    const ack = await reader.subscribe(blogId, blog.cursor);
    if (!ack.ok) failures.push(`socket subscribe on ${r.url}: ${JSON.stringify(ack)}`);
    const listed = await call<{ blogs: Blog[] }>(200, r.url, 'GET', '/api/blogs', { token: null });
    if (!listed.body.blogs?.some((b) => b.id === blogId)) failures.push(`GET /api/blogs on ${r.url} does not list ${blogId}`);
    await call(200, r.url, 'GET', api, { token: null });
    await call(200, w.url, 'PATCH', api, { body: { title: `Routes ${blogId}, renamed`, description: 'Every route on a Cluster' } });

    const plain = (await call<Update>(201, w.url, 'POST', `${api}/updates`, { body: { body: 'Plain update' } })).body;
    const keyed = await call<Update>(201, w.url, 'POST', `${api}/updates`, {
      body: { body: 'Keyed update' },
      headers: { 'Idempotency-Key': `${blogId}-key` },
    });
    const again = await call<Update>(201, r.url, 'POST', `${api}/updates`, {
      body: { body: 'Keyed update' },
      headers: { 'Idempotency-Key': `${blogId}-key` },
    });
    if (again.body.id !== keyed.body.id || again.headers.get('idempotent-replayed') !== 'true')
      failures.push(`the Idempotency-Key replay on ${r.url} stored another update`);
    const pinned = (await call<Update>(201, w.url, 'POST', `${api}/updates`, { body: { body: 'Pinned update', pinned: true } })).body;
    await call<Update>(201, w.url, 'POST', `${api}/updates`, {
      body: { body: 'A key event', title: 'Key', keyEvent: true, author: 'Desk' },
    });
    await call<Update>(201, r.url, 'POST', `${api}/updates`, { body: { body: 'Pinned instead', pinned: true } });

    const paged: Update[] = [];
    let before: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await call<UpdatePage>(
        200,
        r.url,
        'GET',
        `${api}/updates?limit=2${before ? `&before=${encodeURIComponent(before)}` : ''}`,
        { token: null },
      );
      paged.push(...(page.body.updates ?? []));
      before = page.body.next;
      if (!before) break;
    }
    if (paged.length !== 5) failures.push(`paging ${api}/updates on ${r.url} gave ${paged.length} updates, not 5`);
    const fetched = await call<Update>(200, r.url, 'GET', `${api}/updates/${pinned.id}`, { token: null });
    if (fetched.body.pinned !== false) failures.push('the first pinned update was not unpinned by the second');
    await call<Update>(200, w.url, 'PATCH', `${api}/updates/${plain.id}`, { body: { body: 'Plain update, corrected' } });
    const versions = await call<{ versions: Update[] }>(200, r.url, 'GET', `${api}/updates/${plain.id}/versions`);
    if (versions.body.versions?.length !== 2) failures.push(`versions of ${plain.id}: ${JSON.stringify(versions.body).slice(0, 200)}`);
    const events = await call<{ events: BlogEvent[] }>(200, r.url, 'GET', `${api}/events?after=${encodeURIComponent(blog.cursor)}`, {
      token: null,
    });
    await call(200, r.url, 'GET', `${api}/view`, { token: null });
    await call(204, w.url, 'DELETE', `${api}/updates/${plain.id}`);
    await call(404, r.url, 'GET', `${api}/updates/${plain.id}`, { token: null });

    const token = await call<{ id: string; token: string }>(201, w.url, 'POST', '/api/tokens', {
      body: { name: `Editor of ${blogId}`, blogs: [blogId] },
    });
    const tokens = await call<{ tokens: { id: string }[] }>(200, r.url, 'GET', '/api/tokens');
    if (!tokens.body.tokens?.some((t) => t.id === token.body.id)) failures.push(`GET /api/tokens on ${r.url} does not list the new token`);
    await call(200, r.url, 'GET', '/api/me', { token: token.body.token });
    await call(200, r.url, 'POST', '/api/preview', {
      body: { body: '**bold** and a [link](https://example.com)' },
      token: token.body.token,
    });
    await call(204, w.url, 'DELETE', `/api/tokens/${token.body.id}`);
    await call(401, r.url, 'GET', '/api/me', { token: token.body.token });

    for (const path of [
      '/',
      `/blogs/${blogId}`,
      `/blogs/${blogId}/feed.atom`,
      `/embed/${blogId}`,
      '/editor',
      '/healthz',
      '/readyz',
      '/metrics',
    ]) {
      await call(200, r.url, 'GET', path, { token: null });
    }

    // The socket reader on the other process got every event, in order: blog.updated, five created, the
    // unpin, the edit and the delete.
    const expected = (events.body.events?.length ?? 0) + 1;
    if (expected !== 9) failures.push(`GET ${api}/events gave ${expected - 1} events, not 8`);
    await reader.waitForEvents(9, 5_000).catch((error: Error) => failures.push(`socket reader on ${r.url}: ${error.message}`));
    const types = reader.events.map((event) => event.type).join(',');
    const wanted =
      'blog.updated,update.created,update.created,update.created,update.created,update.edited,update.created,update.edited,update.deleted';
    if (types !== wanted) failures.push(`socket reader on ${r.url} got ${types}`);
  } finally {
    reader.close();
  }
  return failures;
}
