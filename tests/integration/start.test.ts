/**
 * The real entry point, as `npm start` runs it (dist/server/main.js, built by `npm test` first): first
 * run with nothing configured, settings from the environment, logs, and a clean SIGTERM.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { DEMO_BLOG, DEMO_UPDATES } from '../../server/demo';
import type { Blog, UpdatePage } from '../../shared/schemas';
import { request } from '../helpers/api';
import { prefixCleaner } from '../helpers/app';
import { TEST_REDIS_URL, testPrefix } from '../helpers/redis';
import { freePort, killAll, startProcess } from '../helpers/process';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('start');
const cleaner = prefixCleaner(prefix);

afterAll(async () => {
  killAll();
  await cleaner.cleanup();
});

/** Starts the entry point and waits for its start-up banner. */
async function start(env: Record<string, string>) {
  const server = await startProcess(env);
  await waitFor(
    () => server.stderr().includes('Admin token:') && server.stdout().includes('liveblog is listening'),
    'the start-up banner and log line',
  );
  return server;
}

describe('npm start', () => {
  it('on a machine with no Redis, runs on the in-process store with a warning, seeds the demo and prints URLs and a token', async () => {
    const closedPort = await freePort();
    const server = await start({ LIVEBLOG_REDIS_PROBE_URL: `redis://127.0.0.1:${closedPort}` });
    const logLines = server
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(logLines.find((line) => line.level === 40)?.msg).toMatch(/in-process store.*nothing across a restart/);
    expect(server.stderr()).toContain(`/blogs/${DEMO_BLOG.id}`);
    expect(server.stderr()).toContain('/editor');
    const token = /Admin token: (\S+)/.exec(server.stderr())?.[1];
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // the printed token is the admin's, and it never went into the JSON logs
    const created = await request(server.url, 'POST', '/api/blogs', { token, body: { id: 'with-printed-token', title: 'T' } });
    expect(created.status).toBe(201);
    expect(server.stdout()).not.toContain(token!);

    const ready = await request<{ ok: boolean; store: string }>(server.url, 'GET', '/readyz', { token: null });
    expect(ready.body).toEqual({ ok: true, store: 'memory' });
    const page = await request<UpdatePage>(server.url, 'GET', `/api/blogs/${DEMO_BLOG.id}/updates`, { token: null });
    expect(page.body.updates).toHaveLength(DEMO_UPDATES.length);
    expect(page.body.updates[0]).toMatchObject({ title: 'Updated at 17.45', publishedAt: '2025-01-11T15:45:00.000Z' });
    const html = await request<string>(server.url, 'GET', `/blogs/${DEMO_BLOG.id}`, { token: null });
    expect(html.body).toContain('North Korean');
    server.kill('SIGTERM');
    expect(await server.exit).toBe(0);
  });

  it('honours PORT, REDIS_URL and LIVEBLOG_ADMIN_TOKEN, logs requests as JSON without the token, and exits 0 on SIGTERM', async () => {
    const token = 'configured-admin-token-for-start-test';
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      LIVEBLOG_REDIS_PREFIX: prefix,
      LIVEBLOG_ADMIN_TOKEN: token,
      LIVEBLOG_DEMO: '0',
      LOG_LEVEL: 'info',
    };
    const first = await start(env);
    expect(first.stderr()).not.toContain(token);
    const created = await request<Blog>(first.url, 'POST', '/api/blogs', { token, body: { id: 'kept', title: 'Kept across restarts' } });
    expect(created.status).toBe(201);
    await request(first.url, 'POST', '/api/blogs/kept/updates', { token, body: { body: 'stored in Redis' } });
    await waitFor(() => first.stdout().includes('"url":"/api/blogs/kept/updates"'), 'the request log line');
    const requestLog = first
      .stdout()
      .split('\n')
      .filter((line) => line.includes('/api/blogs/kept/updates'))
      .map((line) => JSON.parse(line));
    expect(requestLog[0]).toMatchObject({ req: { method: 'POST', headers: { authorization: '[redacted]' } }, res: { statusCode: 201 } });
    expect(first.stdout()).not.toContain(token);
    first.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(first.stdout()).toContain('"msg":"stopped"');

    const second = await start(env);
    const page = await request<UpdatePage>(second.url, 'GET', '/api/blogs/kept/updates', { token: null });
    expect(page.body.updates.map((u) => u.body)).toEqual(['stored in Redis']);
    second.kill('SIGTERM');
    expect(await second.exit).toBe(0);
  });
});
