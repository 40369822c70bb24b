/**
 * `npm run fuzz -- --seconds 30`: random bodies, shaped after the shared schemas' fields and then
 * broken (wrong types, extreme lengths, odd Unicode, unknown and polluting keys, deep nesting), sent to
 * every write route of a freshly started service for a set time. It fails if any answer is a 5xx, is
 * not in the contract's error shape, or if the service stops answering.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  CreateBlogSchema,
  CreateTokenSchema,
  CreateUpdateSchema,
  PatchBlogSchema,
  PatchUpdateSchema,
  PreviewSchema,
} from '../shared/schemas';
import { deletePrefix } from './redis';
import { startLiveblog } from './servers';

const FIELDS: Record<string, () => unknown> = {
  body: () => pick([text(1, 200), text(19_990, 20_010), '', ' ', markdownish()]),
  title: () => pick([text(1, 50), text(199, 202), '\n', 'x\u0000y']),
  author: () => pick([text(1, 30), text(99, 102)]),
  publishedAt: () =>
    pick([
      new Date(Date.now() - Math.random() * 1e11).toISOString(),
      '2025-02-30T10:00:00Z',
      '9999-12-31T23:59:59Z',
      'now',
      String(Math.random()),
    ]),
  pinned: () => pick([true, false]),
  keyEvent: () => pick([true, false]),
  id: () => pick([slug(), slug().toUpperCase(), 'a'.repeat(70), '../x']),
  description: () => pick([text(0, 100), text(1_999, 2_002)]),
  status: () => pick(['live', 'ended', 'paused']),
  name: () => text(1, 120),
  blogs: () => pick([['*'], [slug()], [], [1], 'x']),
};

const WEIRD = [null, 0, -1, 1e308, NaN, true, [], {}, [[[[]]]], '\u202e', '\ud83d', '🧨'.repeat(100), { $gt: '' }, '__proto__'];

function pick<T>(values: T[]): T {
  return values[Math.floor(Math.random() * values.length)];
}

function text(min: number, max: number): string {
  const length = min + Math.floor(Math.random() * (max - min + 1));
  const alphabet = 'abc XYZ 123 <>&"\'`*_[]()#!\\/\n\t é漢字🙂\u200b';
  return Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}

function slug(): string {
  return `f${randomBytes(4).toString('hex')}`;
}

function markdownish(): string {
  return pick([
    '**b** [l](javascript:alert(1)) <img src=x onerror=alert(1)>',
    '> q\n\n- a\n- b',
    '```\n<script>\n```',
    '![i](https://e.x/a.png)',
  ]);
}

function fieldsOf(schema: { shape: Record<string, unknown> }): string[] {
  return Object.keys(schema.shape);
}

/** A body built from the schema's fields, each kept, broken or swapped for something strange. */
function body(fields: string[]): unknown {
  if (Math.random() < 0.05) return pick(WEIRD);
  const value: Record<string, unknown> = {};
  for (const field of fields) {
    const roll = Math.random();
    if (roll < 0.6) value[field] = (FIELDS[field] ?? (() => text(0, 50)))();
    else if (roll < 0.8) value[field] = pick(WEIRD);
  }
  if (Math.random() < 0.1) value[pick(['__proto__', 'constructor', 'extra', 'version', 'html'])] = pick(WEIRD);
  return value;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 30;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `fuzz:${randomBytes(4).toString('hex')}:`;
  const adminToken = randomBytes(24).toString('base64url');
  const target = await startLiveblog({ redisUrl, prefix, adminToken });
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  try {
    const send = async (method: string, path: string, payload: unknown, raw = false) => {
      const response = await fetch(`${target.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: raw ? String(payload) : JSON.stringify(payload),
      });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      const text = await response.text();
      if (response.status >= 500) failures.push(`${method} ${path} → ${response.status}: ${JSON.stringify(payload).slice(0, 200)}`);
      if (response.status >= 400 && !/^\{"error":\{"code":"[a-z_]+","message":/.test(text))
        failures.push(`${method} ${path} → ${response.status} not in the error shape: ${text.slice(0, 200)}`);
      return { status: response.status, text };
    };
    await send('POST', '/api/blogs', { id: 'fuzz', title: 'Fuzz' });
    const first = JSON.parse((await send('POST', '/api/blogs/fuzz/updates', { body: 'seed' })).text) as { id: string };
    const ends = Date.now() + seconds * 1_000;
    let sent = 0;
    while (Date.now() < ends && failures.length < 20) {
      // Each route's fields are read from its shared schema, so the fuzzer follows the schemas as they change.
      const route = pick([
        () => send('POST', '/api/blogs/fuzz/updates', body(fieldsOf(CreateUpdateSchema))),
        () => send('PATCH', `/api/blogs/fuzz/updates/${first.id}`, body(fieldsOf(PatchUpdateSchema))),
        () => send('POST', '/api/blogs', body(fieldsOf(CreateBlogSchema))),
        () =>
          send('PATCH', '/api/blogs/fuzz', {
            ...(body(fieldsOf(PatchBlogSchema).filter((field) => field !== 'status')) as object),
            status: 'live',
          }),
        () => send('POST', '/api/tokens', body(fieldsOf(CreateTokenSchema))),
        () => send('POST', '/api/preview', body(fieldsOf(PreviewSchema))),
        () => send('POST', '/api/blogs/fuzz/updates', text(1, 300), true),
      ]);
      await route();
      sent += 1;
    }
    const alive = await fetch(`${target.url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    if (!alive) failures.push('the service stopped answering');
    console.log(`fuzz: ${sent} requests in ${seconds} s; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    for (const failure of failures) console.log(`FAIL ${failure}`);
    console.log(failures.length ? `${failures.length} failures` : 'no failures');
  } finally {
    await target.stop();
    const redis = new Redis(redisUrl);
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
  process.exit(failures.length ? 1 : 0);
}

void main();
