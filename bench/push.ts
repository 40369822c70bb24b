/**
 * `npm run bench:push`: a key event on a blog with many notification subscribers (100,000 by default),
 * sent to a local push service in a process of its own that accepts every push (201) without
 * decrypting: what is measured is the service. Prints, and asserts nothing:
 * - a publish on another blog, before and during the fan-out (median and p99): publishing must not wait;
 * - how long until every push was accepted, and pushes a second;
 * - the service's resident memory, and Redis's, before and at the end.
 *
 *   npm run bench:push                        100,000 subscribers
 *   npm run bench:push -- --subscribers 5000  another count
 */
import { spawn } from 'node:child_process';
import { createECDH, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { subscriptionId } from '../server/reach/push/store';
import { deletePrefix } from './redis';
import { percentiles, type Percentiles } from './scenarios';
import { freePort, startLiveblog } from './servers';

/** The push service: counts what it is sent and answers 201 at once; prints the count when asked on stdin. */
const PUSH_SERVICE = `
const http = require('node:http');
let received = 0;
http.createServer((req, res) => { req.resume(); req.on('end', () => { received += 1; res.writeHead(201); res.end(); }); })
  .listen(Number(process.argv[1]), '127.0.0.1', () => process.stdout.write('ready\\n'));
process.stdin.on('data', () => process.stdout.write(received + '\\n'));
`;

async function main(): Promise<void> {
  const count = Number(process.argv[process.argv.indexOf('--subscribers') + 1]) || 100_000;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `bench-push:${randomBytes(4).toString('hex')}:`;
  const adminToken = randomBytes(24).toString('base64url');
  const redis = new Redis(redisUrl);
  const pushPort = await freePort();
  const pushService = spawn(process.execPath, ['-e', PUSH_SERVICE, String(pushPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
  await once(pushService.stdout, 'data');
  const received = async (): Promise<number> => {
    pushService.stdin.write('?\n');
    const [chunk] = (await once(pushService.stdout, 'data')) as [Buffer];
    return Number(chunk.toString().trim().split('\n').at(-1));
  };
  const service = await startLiveblog({ redisUrl, prefix, adminToken, env: { LIVEBLOG_OUTBOUND_ALLOW_HOSTS: '127.0.0.1' } });
  const api = async (path: string, body: unknown) => {
    const response = await fetch(`${service.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  };
  try {
    await api('/api/blogs', { id: 'crowded', title: 'Crowded' });
    await api('/api/blogs', { id: 'quiet', title: 'Quiet' });
    // One browser key pair for all: encryption draws a fresh sender key for each push anyway.
    const browser = createECDH('prime256v1');
    browser.generateKeys();
    const keys = { p256dh: browser.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
    for (let start = 0; start < count; start += 10_000) {
      const pipeline = redis.pipeline();
      for (let i = start; i < Math.min(count, start + 10_000); i++) {
        const endpoint = `http://127.0.0.1:${pushPort}/push/${i}`;
        pipeline.hset(`${prefix}push:{crowded}:subs`, subscriptionId(endpoint), JSON.stringify({ endpoint, keys }));
      }
      await pipeline.exec();
    }
    const redisBefore = await usedMemory(redis);
    const rssBefore = service.rss();
    const publishTimes = async (n: number): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const started = performance.now();
        await api('/api/blogs/quiet/updates', { body: `Quiet ${i}` });
        times.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return times;
    };
    await publishTimes(10); // warm-up
    const before = percentiles(await publishTimes(40));
    const started = performance.now();
    await api('/api/blogs/crowded/updates', { body: 'Breaking: the key event', title: 'Key event', keyEvent: true });
    const keyEventPublishMs = performance.now() - started;
    const during: number[] = [];
    let rssMax = rssBefore;
    for (;;) {
      during.push(...(await publishTimes(5)));
      rssMax = Math.max(rssMax, service.rss());
      if ((await received()) >= count) break;
      if (performance.now() - started > 30 * 60_000) throw new Error(`only ${await received()} of ${count} pushes in 30 minutes`);
    }
    const allMs = performance.now() - started;
    const figures = {
      subscribers: count,
      keyEventPublishMs: Math.round(keyEventPublishMs * 10) / 10,
      publishOnAnotherBlogBefore: rounded(before),
      publishOnAnotherBlogDuring: rounded(percentiles(during)),
      allPushesAcceptedSeconds: Math.round(allMs / 100) / 10,
      pushesPerSecond: Math.round((count / allMs) * 1000),
      serviceRssMB: { before: Math.round(rssBefore / 2 ** 20), max: Math.round(rssMax / 2 ** 20) },
      redisUsedMB: { before: Math.round(redisBefore / 2 ** 20), end: Math.round((await usedMemory(redis)) / 2 ** 20) },
    };
    console.log(JSON.stringify(figures, null, 2));
  } finally {
    await service.stop();
    pushService.kill();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
}

const rounded = (p: Percentiles): Percentiles => ({
  p50: Math.round(p.p50 * 10) / 10,
  p95: Math.round(p.p95 * 10) / 10,
  p99: Math.round(p.p99 * 10) / 10,
  max: Math.round(p.max * 10) / 10,
});

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
