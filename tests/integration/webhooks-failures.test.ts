/**
 * Webhooks when things go wrong: the SSRF guard at send time (a name resolving to loopback, a redirect
 * to a private address, loopback endpoints once the allow-list no longer names them), an endpoint
 * failing for a day (the clock moved) turned off with the reason and turned on again, and deliveries
 * that outlive the service: a stopped server, and the real entry killed with SIGKILL.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Webhook, WebhookDelivery } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type StartOptions, type TestServer } from '../helpers/app';
import { killAll, serviceEnv, startProcess } from '../helpers/process';
import { Queue } from 'bullmq';
import { connectRedis, TEST_REDIS_URL, testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const cleaners: ReturnType<typeof prefixCleaner>[] = [];
const servers: TestServer[] = [];
const closers: (() => Promise<void>)[] = [];

afterAll(async () => {
  killAll();
  for (const server of servers) await server.stop().catch(() => {});
  await Promise.all(closers.map((close) => close()));
  await Promise.all(cleaners.map((cleaner) => cleaner.cleanup()));
});

const FAST = { webhookRetry: { baseMs: 200, maxDelayMs: 1000 }, stalledMs: 2000, sweepMs: 1000 };

function freshPrefix(name: string): string {
  const prefix = testPrefix(name);
  cleaners.push(prefixCleaner(prefix));
  return prefix;
}

async function server(options: StartOptions): Promise<TestServer> {
  const started = await startServer(options);
  servers.push(started);
  return started;
}

async function receiver(host?: string): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver(host ? { host } : {});
  closers.push(() => started.close());
  return started;
}

async function register(url: string, at: WebhookReceiver | null, fields: Record<string, unknown>): Promise<Webhook & { secret: string }> {
  const response = await request<Webhook & { secret: string }>(url, 'POST', '/api/webhooks', { body: { url: at?.url, ...fields } });
  expect(response.status).toBe(201);
  at?.useSecret(response.body.secret);
  return response.body;
}

const deliveriesOf = async (url: string, id: string) =>
  (await request<{ deliveries: WebhookDelivery[] }>(url, 'GET', `/api/webhooks/${id}/deliveries`)).body.deliveries;
const endpointOf = async (url: string, id: string) =>
  (await request<{ webhooks: Webhook[] }>(url, 'GET', '/api/webhooks')).body.webhooks.find((w) => w.id === id);
/** The endpoint's first delivery, once it has been tried `attempts` times. */
const triedAt = (url: string, id: string, attempts = 1) =>
  waitFor(async () => (await deliveriesOf(url, id)).find((d) => d.attempts >= attempts), `${attempts} attempts`, 10_000);

describe('the SSRF guard at send time', () => {
  it('refuses a name that resolves to loopback and a redirect to a private address: never reached, a failed attempt with the reason', async () => {
    const service = await server({ prefix: freshPrefix('wh-ssrf'), reach: FAST });
    await createBlog(service.url, 'ssrf');
    // A receiver on 127.0.0.2 (not allow-listed) that must never be reached, and one on 127.0.0.1 that sends there.
    const privateOne = await receiver('127.0.0.2');
    const redirector = await receiver();
    redirector.fallback = { redirect: privateOne.url };
    const metadata = await receiver();
    metadata.fallback = { redirect: 'http://169.254.169.254/latest/meta-data/', status: 307 };
    const local = await receiver();
    const byName = await register(service.url, null, { url: `https://localhost:${local.port}/hook`, blogs: ['ssrf'] });
    const redirected = await register(service.url, redirector, { blogs: ['ssrf'] });
    const toMetadata = await register(service.url, metadata, { blogs: ['ssrf'] });

    await publish(service.url, 'ssrf', { body: 'Nothing for the metadata service' });
    const refused = await triedAt(service.url, byName.id);
    expect(refused).toMatchObject({ status: 'retrying', attempts: 1 });
    expect(refused.lastError).toMatch(/^refused: localhost resolves to (127\.0\.0\.1|::1), not a public address$/);
    expect(refused.lastStatusCode).toBeUndefined();
    expect(await triedAt(service.url, redirected.id)).toMatchObject({
      status: 'retrying',
      lastStatusCode: 302,
      lastError: 'HTTP 302 (redirects are not followed)',
    });
    expect(await triedAt(service.url, toMetadata.id)).toMatchObject({
      lastStatusCode: 307,
      lastError: 'HTTP 307 (redirects are not followed)',
    });
    // A second attempt each, so that a follow-up would have had its chance.
    await triedAt(service.url, redirected.id, 2);
    await triedAt(service.url, byName.id, 2);
    expect(local.received).toHaveLength(0);
    expect(privateOne.received).toHaveLength(0);
    expect((await endpointOf(service.url, byName.id))?.failingSince).toEqual(expect.any(String));
  });

  it('refuses loopback endpoints registered while allowed once the allow-list no longer names them', async () => {
    const prefix = freshPrefix('wh-allow');
    const first = await server({ prefix, reach: FAST });
    await createBlog(first.url, 'allow');
    const plain = await receiver();
    const secure = await receiver();
    const overHttp = await register(first.url, plain, { blogs: ['allow'] });
    const overHttps = await register(first.url, null, { url: `https://127.0.0.1:${secure.port}/hook`, blogs: ['allow'] });
    await first.stop();
    servers.splice(servers.indexOf(first), 1);

    const second = await server({ prefix, outboundAllowHosts: [], reach: FAST });
    await publish(second.url, 'allow', { body: 'Only public addresses now' });
    expect(await triedAt(second.url, overHttp.id)).toMatchObject({
      status: 'retrying',
      lastError: 'refused: http://127.0.0.1 must be https (http only for LIVEBLOG_OUTBOUND_ALLOW_HOSTS)',
    });
    expect((await triedAt(second.url, overHttps.id)).lastError).toBe('refused: 127.0.0.1 is not a public address');
    expect(plain.received).toHaveLength(0);
    expect(secure.received).toHaveLength(0);
  });
});

describe('an endpoint failing for a day', () => {
  it('is turned off with the reason, its other deliveries stop, and PATCH enabled:true turns it on again', async () => {
    let offsetMs = 0;
    const service = await server({ prefix: freshPrefix('wh-disable'), reach: { ...FAST, now: () => new Date(Date.now() + offsetMs) } });
    await createBlog(service.url, 'down');
    const at = await receiver();
    at.fallback = 500;
    const endpoint = await register(service.url, at, { blogs: ['down'] });
    await publish(service.url, 'down', { body: 'First' });
    await publish(service.url, 'down', { body: 'Second' });
    await at.waitFor(2);
    const since = await waitFor(async () => (await endpointOf(service.url, endpoint.id))?.failingSince, 'failingSince');
    expect((await endpointOf(service.url, endpoint.id))?.enabled).toBe(true);

    offsetMs = 24 * 60 * 60 * 1000;
    const off = await waitFor(async () => {
      const found = await endpointOf(service.url, endpoint.id);
      return found && !found.enabled ? found : null;
    }, 'the endpoint turned off');
    expect(off.disabled).toEqual({ at: expect.any(String), reason: 'every delivery failed for 24 hours; last: HTTP 500' });
    expect(Date.parse(off.disabled!.at) - Date.parse(since)).toBeGreaterThanOrEqual(24 * 60 * 60 * 1000);
    const failed = await waitFor(
      async () => {
        const found = await deliveriesOf(service.url, endpoint.id);
        return found.length === 2 && found.every((d) => d.status === 'failed') ? found : null;
      },
      'both deliveries failed',
      10_000,
    );
    // The one that found the day over failed with its answer; the other too, or (if it ran after) was not sent.
    expect(failed.map((d) => d.lastError)).toContain('HTTP 500');
    for (const delivery of failed)
      expect(['HTTP 500', 'not sent: the endpoint was turned off (every delivery failed for 24 hours; last: HTTP 500)']).toContain(
        delivery.lastError,
      );
    const seen = at.received.length;
    // Nothing new is queued for it while it is off.
    await publish(service.url, 'down', { body: 'Third, while off' });
    const other = await receiver();
    const watcher = await register(service.url, other, { blogs: ['down'] });
    await publish(service.url, 'down', { body: 'Fourth, while off' });
    await other.waitFor(1);
    expect(await deliveriesOf(service.url, endpoint.id)).toHaveLength(2);
    expect(at.received).toHaveLength(seen);
    expect(watcher.id).not.toBe(endpoint.id);

    at.fallback = 204;
    const on = await request<Webhook>(service.url, 'PATCH', `/api/webhooks/${endpoint.id}`, { body: { enabled: true } });
    expect(on.status).toBe(200);
    expect(on.body.enabled).toBe(true);
    expect(on.body.disabled).toBeUndefined();
    expect(on.body.failingSince).toBeUndefined();
    await publish(service.url, 'down', { body: 'Back' });
    const [back] = await at.waitFor(1, (d) => d.answered === 204);
    expect(back!.body).toMatchObject({ data: { update: { body: 'Back' } } });

    const offByHand = await request<Webhook>(service.url, 'PATCH', `/api/webhooks/${endpoint.id}`, { body: { enabled: false } });
    expect(offByHand.body).toMatchObject({ enabled: false, disabled: { reason: 'turned off by Admin token' } });
  });
});

describe('an old failure', () => {
  it('does not count towards a day of failures once its delivery ended otherwise (skipped): one later failure does not turn the endpoint off', async () => {
    let offsetMs = 0;
    const service = await server({ prefix: freshPrefix('wh-stale'), reach: { ...FAST, now: () => new Date(Date.now() + offsetMs) } });
    await createBlog(service.url, 'stale');
    const at = await receiver();
    at.fallback = 500;
    const endpoint = await register(service.url, at, { blogs: ['stale'], events: ['update.created'] });
    const update = await publish(service.url, 'stale', { body: 'Failed once, then deleted' });
    await at.waitFor(1);
    await waitFor(async () => (await endpointOf(service.url, endpoint.id))?.failingSince, 'failingSince');
    expect((await request(service.url, 'DELETE', `/api/blogs/stale/updates/${update.id}`)).status).toBe(204);
    at.fallback = 204;
    await waitFor(async () => (await deliveriesOf(service.url, endpoint.id)).find((d) => d.status === 'skipped'), 'skipped', 10_000);
    // Its only failing delivery ended: the endpoint is no longer failing.
    expect((await endpointOf(service.url, endpoint.id))?.failingSince).toBeUndefined();

    // A day later, one failed attempt of a new delivery is one failure, not a day of them.
    offsetMs = 25 * 60 * 60 * 1000;
    at.fallback = 500;
    await publish(service.url, 'stale', { body: 'A day later' });
    await waitFor(
      async () => (await deliveriesOf(service.url, endpoint.id)).find((d) => d.status !== 'skipped' && d.attempts >= 1),
      'the new delivery to be tried',
    );
    expect((await deliveriesOf(service.url, endpoint.id))[0]).toMatchObject({ status: 'retrying', attempts: 1, lastError: 'HTTP 500' });
    const after = await endpointOf(service.url, endpoint.id);
    expect(after).toMatchObject({ enabled: true, failingSince: expect.any(String) });
    expect(after?.disabled).toBeUndefined();
  });
});

describe('deliveries outlive the service', () => {
  it('a retry waiting in Redis is delivered by the next server on the same prefix', async () => {
    const prefix = freshPrefix('wh-restart');
    const first = await server({ prefix, reach: FAST });
    await createBlog(first.url, 'restart');
    const at = await receiver();
    at.fallback = 500;
    const endpoint = await register(first.url, at, { blogs: ['restart'] });
    await publish(first.url, 'restart', { body: 'Survives a restart' });
    const [failed] = await at.waitFor(1);
    await first.stop();
    servers.splice(servers.indexOf(first), 1);
    at.fallback = 204;

    const second = await server({ prefix, reach: FAST });
    const [delivered] = await at.waitFor(1, (d) => d.answered === 204);
    expect(delivered!.id).toBe(failed!.id);
    expect(delivered!.error).toBeUndefined();
    expect(
      await waitFor(async () => (await deliveriesOf(second.url, endpoint.id)).find((d) => d.status === 'delivered'), 'logged'),
    ).toMatchObject({
      id: failed!.id,
      lastStatusCode: 204,
    });
  });

  const entryEnv = (prefix: string) =>
    serviceEnv(TEST_REDIS_URL, prefix, undefined, {
      LIVEBLOG_OUTBOUND_ALLOW_HOSTS: '127.0.0.1',
      LIVEBLOG_WEBHOOK_RETRY_BASE_MS: '2000',
      LIVEBLOG_WEBHOOK_RETRY_MAX_MS: '2000',
    });
  const jobsIn = async (prefix: string, state: 'delayed' | 'active') => {
    const queue = new Queue('{webhooks}', { connection: connectRedis(), prefix: `${prefix}q` });
    try {
      return await queue.getJobs([state]);
    } finally {
      await queue.close();
      await queue.disconnect();
    }
  };

  it('the real entry killed with SIGKILL while a retry waits: the next process sends it', async () => {
    const prefix = freshPrefix('wh-kill');
    const first = await startProcess(entryEnv(prefix));
    await createBlog(first.url, 'killed');
    const at = await receiver();
    at.fallback = 500;
    await register(first.url, at, { blogs: ['killed'] });
    await publish(first.url, 'killed', { body: 'Survives a SIGKILL' });
    const [failed] = await at.waitFor(1);
    await waitFor(async () => (await jobsIn(prefix, 'delayed')).length === 1, 'the retry to wait in Redis');
    first.kill('SIGKILL');
    await first.exit;
    at.fallback = 204;
    // Started on another port: nothing of the first process is left but what it wrote to Redis.
    await startProcess(entryEnv(prefix));
    const [delivered] = await at.waitFor(1, (d) => d.answered === 204, 20_000);
    expect(delivered!.id).toBe(failed!.id);
    expect(delivered!.error).toBeUndefined();
  }, 60_000);

  it('the real entry stopped with SIGTERM while attempts hang exits at once, and the next process sends them', async () => {
    const prefix = freshPrefix('wh-term');
    const first = await startProcess(entryEnv(prefix));
    await createBlog(first.url, 'term');
    const at = await receiver();
    at.fallback = 'hang';
    await register(first.url, at, { blogs: ['term'] });
    for (let i = 0; i < 4; i++) await publish(first.url, 'term', { body: `Hanging ${i}` });
    await at.waitFor(2);
    const startedAt = Date.now();
    first.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    const took = Date.now() - startedAt;
    console.log(`webhooks: SIGTERM with attempts hanging: exited in ${took} ms`);
    expect(took).toBeLessThan(2000);
    expect(first.stdout()).not.toContain('shutdown took too long');
    at.fallback = 204;
    await startProcess(entryEnv(prefix));
    const delivered = await at.waitFor(4, (d) => d.answered === 204, 20_000);
    expect(new Set(delivered.map((d) => d.id)).size).toBe(4);
  }, 60_000);

  it('the real entry killed with SIGKILL in the middle of an attempt: the next process tries again (after the lock and two stalled checks: about 30 s)', async () => {
    const prefix = freshPrefix('wh-kill-mid');
    const first = await startProcess(entryEnv(prefix));
    await createBlog(first.url, 'killed-mid');
    const at = await receiver();
    at.fallback = 'hang';
    await register(first.url, at, { blogs: ['killed-mid'] });
    await publish(first.url, 'killed-mid', { body: 'Survives a SIGKILL mid-attempt' });
    const [hung] = await at.waitFor(1);
    expect((await jobsIn(prefix, 'active')).length).toBe(1);
    first.kill('SIGKILL');
    await first.exit;
    at.fallback = 204;
    const startedAt = Date.now();
    await startProcess(entryEnv(prefix));
    // About 31 s on an idle machine; BullMQ's checks drift under the whole suite's load (45 s ran out once).
    const [delivered] = await at.waitFor(1, (d) => d.answered === 204, 80_000);
    expect(delivered!.id).toBe(hung!.id);
    expect(delivered!.error).toBeUndefined();
    console.log(
      `webhooks: a delivery cut by SIGKILL mid-attempt was sent again ${Date.now() - startedAt} ms after the next process started`,
    );
  }, 120_000);
});
