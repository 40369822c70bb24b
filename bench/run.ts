/**
 * `npm run bench`: the service against its floor (a bare Socket.IO server and Express route on the
 * same stack), measured alternately in one run on this machine. Prints a table and writes
 * bench/results/latest.json. It asserts nothing: figures are for reading, and targets are noted.
 *
 *   npm run bench                     1,000 and 5,000 readers (about two minutes on 2 cores)
 *   npm run bench -- --readers 1000   other reader counts (comma-separated)
 *   npm run bench -- --smoke          a few readers, seconds: checks the bench itself works
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { BlogEvent } from '../shared/schemas';
import { deletePrefix } from './redis';
import {
  fanOut,
  memoryPerReader,
  pageLoads,
  soak,
  reconnectFloor,
  reconnectStorm,
  type FanOutResult,
  type PageLoadResult,
  type Publisher,
  type SoakResult,
  type StormResult,
} from './scenarios';
import { startBare, startLiveblog, type Target } from './servers';
import { WireClient } from './wire';

export interface BenchOptions {
  readerCounts: number[];
  updates: number;
  intervalMs: number;
  stormReaders: number;
  stormMissed: number;
  soakReaders: number;
  soakSeconds: number;
  soakPerSecond: number;
  pageSeconds: number;
  pageUpdates: number;
  capacitySteps: number[];
  capacityUpdates: number;
  redisUrl: string;
}

/** The capacity figure: readers one process holds with every delivery made and fan-out p99 under this. */
export const CAPACITY_P99_MS = 250;

export interface BenchResults {
  machine: { cpus: number; cpuModel: string; memoryGB: number; node: string; redis: string };
  date: string;
  options: BenchOptions;
  fanOut: { readers: number; liveblog: FanOutResult; bare: FanOutResult; p50Ratio: number; p99Ratio: number }[];
  memory: { readers: number; liveblogKB: number; bareKB: number; ratio: number }[];
  pageLoads: { liveblog: PageLoadResult; bare: PageLoadResult; throughputRatio: number };
  /** Readers come back to a process that follows the blog (a network blip), and to a fresh one (their process died). */
  storm: { warm: StormResult; cold: StormResult | { failed: string }; floorMs: number };
  /** Fan-out at growing reader counts on one process, until p99 passes CAPACITY_P99_MS or a delivery is missed. */
  capacity: { readers: number; p99Ms: number; delivered: number; expected: number; holds: boolean }[];
  twoProcesses: FanOutResult;
  soak: SoakResult;
}

export const FULL: Omit<BenchOptions, 'redisUrl'> = {
  readerCounts: [1000, 5000],
  updates: 40,
  intervalMs: 250,
  stormReaders: 5000,
  stormMissed: 10,
  soakReaders: 2000,
  soakSeconds: 60,
  soakPerSecond: 10,
  pageSeconds: 5,
  pageUpdates: 100,
  capacitySteps: [5000, 10000, 15000],
  capacityUpdates: 10,
};
export const SMOKE: Omit<BenchOptions, 'redisUrl'> = {
  readerCounts: [20],
  updates: 3,
  intervalMs: 100,
  stormReaders: 20,
  stormMissed: 3,
  soakReaders: 20,
  soakSeconds: 2,
  soakPerSecond: 10,
  pageSeconds: 1,
  pageUpdates: 10,
  capacitySteps: [20],
  capacityUpdates: 2,
};

/** About the size of a real update: a few sentences of Markdown. */
const FILLER = 'Ukrainian paratroopers say the soldier was captured on his first combat mission, carrying Russian-made weapons. '.repeat(3);

export async function runBench(options: BenchOptions, log: (line: string) => void = console.log): Promise<BenchResults> {
  const prefix = `bench:${randomBytes(4).toString('hex')}:`;
  const adminToken = randomBytes(24).toString('base64url');
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  const running: Target[] = [];
  const start = async (make: () => Promise<Target>) => {
    const target = await make();
    running.push(target);
    return target;
  };
  try {
    const liveblog = await start(() => startLiveblog({ redisUrl: options.redisUrl, prefix, adminToken }));
    const bare = await start(() => startBare());
    const api = (method: string, url: string, body?: unknown) =>
      fetch(url, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (response) => {
        if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
        return response;
      });

    log('setting up: blogs, and the event the floor will send');
    await api('POST', `${liveblog.url}/api/blogs`, { id: 'fanout', title: 'Fan-out' });
    await api('POST', `${liveblog.url}/api/blogs`, { id: 'pages', title: 'Page loads', description: 'A blog with many updates' });
    for (let i = 0; i < options.pageUpdates; i++)
      await api('POST', `${liveblog.url}/api/blogs/pages/updates`, {
        body: `Update ${i}. **${FILLER}**`,
        title: i % 5 ? undefined : `Headline ${i}`,
      });
    const template = await captureEvent(liveblog.url, () =>
      api('POST', `${liveblog.url}/api/blogs/fanout/updates`, { body: `bench-1 ${FILLER}` }).then(() => undefined),
    );

    const publishTo: Record<Target['name'], (target: Target) => Publisher> = {
      liveblog: (target) => async (marker) => {
        await api('POST', `${target.url}/api/blogs/fanout/updates`, { body: `bench-${marker} ${FILLER}` });
      },
      // The same event, byte for byte in size, as the service would send.
      bare: (target) => async (marker) => {
        const body = `bench-${marker} ${FILLER}`;
        await api('POST', `${target.url}/publish`, {
          blogId: 'fanout',
          event: { ...template, update: { ...template.update!, body, html: `<p>${body}</p>` } },
        });
      },
    };

    log('page loads: GET /blogs/:id with its updates, against a bare route sending the same bytes');
    const html = await (await fetch(`${liveblog.url}/blogs/pages`)).text();
    await fetch(`${bare.url}/page`, { method: 'PUT', body: html });
    await pageLoads(`${liveblog.url}/blogs/pages`, 1);
    await pageLoads(`${bare.url}/page`, 1);
    const pageRounds: { liveblog: PageLoadResult; bare: PageLoadResult }[] = [];
    for (let round = 0; round < 2; round++) {
      pageRounds.push({
        liveblog: await pageLoads(`${liveblog.url}/blogs/pages`, options.pageSeconds),
        bare: await pageLoads(`${bare.url}/page`, options.pageSeconds),
      });
    }
    const bestPage = (name: 'liveblog' | 'bare') =>
      pageRounds.map((r) => r[name]).sort((a, b) => b.requestsPerSecond - a.requestsPerSecond)[0];
    const pages = {
      liveblog: bestPage('liveblog'),
      bare: bestPage('bare'),
      throughputRatio: ratio(bestPage('liveblog').requestsPerSecond, bestPage('bare').requestsPerSecond),
    };

    const fanOutResults: BenchResults['fanOut'] = [];
    for (const readers of options.readerCounts) {
      log(`fan-out: ${readers} readers, ${options.updates} updates, alternately on the floor and the service`);
      const run = (target: Target) =>
        fanOut({
          targets: [target],
          blogId: 'fanout',
          readers,
          updates: options.updates,
          intervalMs: options.intervalMs,
          publish: publishTo[target.name](target),
        });
      const bareResult = await run(bare);
      const liveblogResult = await run(liveblog);
      fanOutResults.push({
        readers,
        liveblog: liveblogResult,
        bare: bareResult,
        p50Ratio: ratio(liveblogResult.latencyMs.p50, bareResult.latencyMs.p50),
        p99Ratio: ratio(liveblogResult.latencyMs.p99, bareResult.latencyMs.p99),
      });
    }

    const memory: BenchResults['memory'] = [];
    for (const readers of options.readerCounts) {
      log(`memory: ${readers} readers on freshly started processes`);
      const freshBare = await start(() => startBare());
      const bareKB = await memoryPerReader(freshBare, 'fanout', readers);
      await freshBare.stop();
      const freshLiveblog = await start(() => startLiveblog({ redisUrl: options.redisUrl, prefix, adminToken }));
      const liveblogKB = await memoryPerReader(freshLiveblog, 'fanout', readers);
      await freshLiveblog.stop();
      memory.push({ readers, liveblogKB, bareKB, ratio: ratio(liveblogKB, bareKB) });
    }

    const storm = (comeBackTo: Target) =>
      reconnectStorm({
        target: liveblog,
        comeBackTo,
        redis,
        blogId: 'fanout',
        readers: options.stormReaders,
        missedUpdates: options.stormMissed,
        publish: publishTo.liveblog(liveblog),
      });
    // The floor first: thousands of connections closed just before leave their ports in TIME_WAIT.
    log(`reconnect storm floor: ${options.stormReaders} readers connect and subscribe at once on the bare server`);
    const stormFloorMs = await reconnectFloor(bare, options.stormReaders);
    log(`reconnect storm: ${options.stormReaders} readers drop, miss ${options.stormMissed} updates, come back at once to their process`);
    const stormWarm = await storm(liveblog);
    log(`reconnect storm: the same, back on a freshly started process`);
    const fresh = await start(() => startLiveblog({ redisUrl: options.redisUrl, prefix, adminToken }));
    // A third wave of thousands of connections in a minute can outrun this machine's connection
    // handling (the bench client's handshakes time out): reported as such rather than ending the bench.
    const stormCold = await storm(fresh).catch((error: Error) => ({ failed: error.message }));
    await fresh.stop();

    const capacity: BenchResults['capacity'] = [];
    for (const readers of options.capacitySteps) {
      log(`capacity: ${readers} readers on one process, ${options.capacityUpdates} updates`);
      const result = await fanOut({
        targets: [liveblog],
        blogId: 'fanout',
        readers,
        updates: options.capacityUpdates,
        intervalMs: 500,
        publish: publishTo.liveblog(liveblog),
      });
      const holds = result.delivered === result.expected && result.duplicated === 0 && result.latencyMs.p99 < CAPACITY_P99_MS;
      capacity.push({ readers, p99Ms: result.latencyMs.p99, delivered: result.delivered, expected: result.expected, holds });
      if (!holds) break;
    }

    log(`two processes: ${options.readerCounts[0]} readers spread over both, the publisher on one`);
    const second = await start(() => startLiveblog({ redisUrl: options.redisUrl, prefix, adminToken }));
    const twoProcesses = await fanOut({
      targets: [liveblog, second],
      blogId: 'fanout',
      readers: options.readerCounts[0],
      updates: options.updates,
      intervalMs: options.intervalMs,
      publish: publishTo.liveblog(liveblog),
    });

    log(
      `soak: ${options.soakReaders} readers, ${options.soakPerSecond} writes a second (publish, edit, delete) for ${options.soakSeconds} s`,
    );
    await second.stop();
    await api('POST', `${liveblog.url}/api/blogs`, { id: 'soak', title: 'Soak' });
    const soakResult = await soak({
      target: liveblog,
      blogId: 'soak',
      readers: options.soakReaders,
      seconds: options.soakSeconds,
      perSecond: options.soakPerSecond,
      api: (method, pathname, body) => api(method, `${liveblog.url}${pathname}`, body),
    });

    return {
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        redis: (await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?',
      },
      date: new Date().toISOString(),
      options,
      fanOut: fanOutResults,
      memory,
      pageLoads: pages,
      storm: { warm: stormWarm, cold: stormCold, floorMs: stormFloorMs },
      capacity,
      twoProcesses,
      soak: soakResult,
    };
  } finally {
    await Promise.all(running.map((target) => target.stop()));
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
}

/** Publishes once and returns the event a reader got: the floor sends copies of it. */
async function captureEvent(url: string, publish: () => Promise<void>): Promise<BlogEvent> {
  let frame = '';
  const client = await WireClient.connect(url, { onEvent: (text) => (frame = text) });
  await client.emitWithAck('blog:subscribe', { blogId: 'fanout' });
  await publish();
  const deadline = Date.now() + 5_000;
  while (!frame && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  client.close();
  if (!frame) throw new Error('no event came back from the service');
  return (JSON.parse(frame.slice(2)) as [string, BlogEvent])[1];
}

function capacityFigure(steps: BenchResults['capacity']): string {
  const held = steps.filter((step) => step.holds).at(-1);
  const failed = steps.find((step) => !step.holds);
  return [
    held ? `${held.readers} (p99 ${held.p99Ms} ms)` : 'none of the steps',
    failed ? `; not ${failed.readers} (p99 ${failed.p99Ms} ms, ${failed.delivered}/${failed.expected})` : '; the largest step tried',
  ].join('');
}

function ratio(ours: number, floor: number): number {
  return Math.round((ours / floor) * 100) / 100;
}

export function formatResults(results: BenchResults): string {
  const lines = [
    `machine: ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGB} GB, Node ${results.machine.node}, Redis ${results.machine.redis}; client and servers on the same machine`,
    '',
    '| measure | liveblog | floor | ratio | target |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const row of results.fanOut) {
    const { liveblog, bare } = row;
    lines.push(
      `| fan-out p50 / p99 / max, ${row.readers} readers (ms) | ${liveblog.latencyMs.p50} / ${liveblog.latencyMs.p99} / ${liveblog.latencyMs.max} | ${bare.latencyMs.p50} / ${bare.latencyMs.p99} / ${bare.latencyMs.max} | ${row.p50Ratio}× p50, ${row.p99Ratio}× p99 | ≤ 1.2× |`,
      `| publish → first reader p50 / p99, ${row.readers} readers (ms) | ${liveblog.firstDeliveryMs.p50} / ${liveblog.firstDeliveryMs.p99} | ${bare.firstDeliveryMs.p50} / ${bare.firstDeliveryMs.p99} | | |`,
      `| deliveries, ${row.readers} readers | ${liveblog.delivered}/${liveblog.expected} (${liveblog.duplicated} dup.) | ${bare.delivered}/${bare.expected} | | all |`,
    );
  }
  for (const row of results.memory) {
    lines.push(`| memory per reader, ${row.readers} readers (KB of RSS) | ${row.liveblogKB} | ${row.bareKB} | ${row.ratio}× | ≤ 1.3× |`);
  }
  const { pageLoads: pages, storm, twoProcesses: two } = results;
  lines.push(
    `| page loads, GET /blogs/:id with ${results.options.pageUpdates} updates (req/s; p99 ms) | ${pages.liveblog.requestsPerSecond}; ${pages.liveblog.latencyP99Ms} | ${pages.bare.requestsPerSecond}; ${pages.bare.latencyP99Ms} | ${pages.throughputRatio}× | ≥ 0.5× |`,
    ...(['warm', 'cold'] as const).map((kind) => {
      const run = storm[kind];
      const where = kind === 'warm' ? 'back on their process' : 'back on a fresh process';
      if ('failed' in run) return `| reconnect storm: ${where} | did not complete: ${run.failed} | | | |`;
      const commands = Object.entries(run.redisCommandsByName)
        .map(([name, calls]) => `${name} ${calls}`)
        .join(', ');
      return `| reconnect storm: ${run.readers} readers, ${run.missedUpdates} missed updates each, ${where} | caught up in ${run.caughtUpMs} ms; ${run.missed} missed, ${run.duplicated} dup., ${run.outOfOrder} out of order; ${run.redisCommands} Redis commands, those of scripts included (${commands}) | connect + subscribe: ${storm.floorMs} ms | ${ratio(run.caughtUpMs, storm.floorMs)}× | ≤ 2,000 ms, 0, < 50 commands |`;
    }),
    `| capacity: readers one process holds, every delivery made, fan-out p99 < ${CAPACITY_P99_MS} ms | ${capacityFigure(results.capacity)} | | | |`,
    `| two processes, ${two.readers} readers (p50 / p99 ms; deliveries) | ${two.latencyMs.p50} / ${two.latencyMs.p99}; ${two.delivered}/${two.expected} (${two.duplicated} dup.) | | | all |`,
    `| soak: ${results.soak.readers} readers, ${results.soak.events} writes in ${results.soak.seconds} s (${results.soak.operations.created} published, ${results.soak.operations.edited} edited, ${results.soak.operations.deleted} deleted) | ${results.soak.delivered} deliveries: ${results.soak.lost} lost, ${results.soak.duplicated} dup., ${results.soak.outOfOrder} out of order; RSS ${results.soak.rssStartMB} → ${results.soak.rssEndMB} MB | | | 0, 0, 0 |`,
  );
  return lines.join('\n');
}

function parseArgs(argv: string[]): Omit<BenchOptions, 'redisUrl'> {
  const options = { ...(argv.includes('--smoke') ? SMOKE : FULL) };
  const readers = argv.indexOf('--readers');
  if (readers >= 0) options.readerCounts = argv[readers + 1].split(',').map(Number);
  return options;
}

if (require.main === module) {
  const options: BenchOptions = { ...parseArgs(process.argv.slice(2)), redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' };
  runBench(options)
    .then((results) => {
      const table = formatResults(results);
      console.log(`\n${table}\n`);
      const out = path.resolve(__dirname, '../../bench/results');
      mkdirSync(out, { recursive: true });
      writeFileSync(path.join(out, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
      console.log(`written: bench/results/latest.json`);
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error('bench failed:', error);
      process.exit(1);
    });
}
