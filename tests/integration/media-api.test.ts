/**
 * Pictures over real HTTP on Redis, with the local folder storage: upload each type, serve every file
 * the rendered update names (types, ETag, 304, immutable caching), metadata gone byte by byte, refusals
 * that store nothing and leave no temporary file, who may upload and take down, and a takedown that
 * reaches readers' screens and pages.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import { Readable, Writable } from 'node:stream';
import type { AuditPage, ListedMedia, MediaInfo, PendingUpdate, Update } from '../../shared/schemas';
import { TEMP_PREFIX } from '../../server/http/media';
import { createLogger } from '../../server/logger';
import { readAll } from '../../server/media/storage';
import { MEDIA_ID } from '../../server/media/types';
import { createBlog, publish, request, type ErrorAnswer } from '../helpers/api';
import { ADMIN_TOKEN, prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { uploadPicture, type UploadOptions } from '../helpers/media';
import { editorToken, person, type Person } from '../helpers/newsroom';
import {
  alphaPng,
  animatedGif,
  gifBomb,
  jpegHtmlPolyglot,
  jpegSofBomb,
  metadataFound,
  pngBomb,
  pngHeaderBomb,
  richAvif,
  richJpeg,
  richPng,
  richWebp,
  SVG_WITH_SCRIPT,
  TEXT,
  tiff,
} from '../helpers/pictures';
import { connectReader } from '../helpers/reader';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('media-api');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let url: string;

/** An upload as a script sends it (tests/helpers/media.ts), to this file's server. */
const upload = (blogId: string, file: Buffer, options?: UploadOptions) => uploadPicture(url, blogId, file, options);

/** Every file key the storage holds under a blog. */
const stored = (blogId: string) => server.media.list(`${blogId}/`);

/** Temporary upload files this process (the app runs in the test's process) left behind. */
const temps = async () => (await readdir(os.tmpdir())).filter((name) => name.startsWith(`${TEMP_PREFIX}${process.pid}-`));

/** Every URL a rendered update names: src, srcset entries and the full-size link. */
function mediaUrls(html: string): string[] {
  const urls = new Set<string>();
  for (const [, value] of html.matchAll(/ (?:src|srcset|href)="([^"]*)"/g)) {
    for (const part of value.split(', ')) {
      const path = part.split(' ')[0];
      if (path.startsWith('/media/')) urls.add(path);
    }
  }
  return [...urls];
}

const TYPES: Record<string, string> = { avif: 'image/avif', webp: 'image/webp', jpg: 'image/jpeg', png: 'image/png' };

beforeAll(async () => {
  server = await startServer({ prefix });
  url = server.url;
  await createBlog(url, 'pictures');
  await createBlog(url, 'elsewhere');
  await createBlog(url, 'refusals');
  await createBlog(url, 'polyglots');
});

afterAll(async () => {
  await server?.stop();
  await cleaner.cleanup();
});

describe('an upload', () => {
  const cases: [string, () => Promise<Buffer>, string][] = [
    ['JPEG (EXIF with GPS, XMP, IPTC, comment, orientation 6)', () => richJpeg(), 'jpg'],
    ['PNG (eXIf, iTXt XMP, tEXt)', () => richPng(), 'jpg'],
    ['PNG with transparency', () => alphaPng(), 'png'],
    ['WebP (EXIF, XMP)', () => richWebp(), 'jpg'],
    ['GIF, animated (first frame)', () => animatedGif(), 'jpg'],
    ['AVIF (EXIF, XMP)', () => richAvif(), 'jpg'],
  ];

  it.each(cases)('of a %s is answered 201, and every file its update shows is served without metadata', async (_name, make, fallback) => {
    const file = await make();
    const answer = await upload('pictures', file, { fields: { alt: 'Smoke over the town', caption: 'Sudzha', credit: 'Photo: Desk' } });
    expect(answer.status).toBe(201);
    const media = answer.body;
    expect(media.id).toMatch(MEDIA_ID);
    expect(media).toMatchObject({ alt: 'Smoke over the town', caption: 'Sudzha', credit: 'Photo: Desk' });
    expect(media.url).toMatch(new RegExp(`^${url}/media/pictures/${media.id}/full-[0-9a-f]{16}\\.${fallback}$`));
    expect(media.markdown).toBe(`![Smoke over the town](/media/pictures/${media.id} "Sudzha")`);
    expect(media.width).toBeGreaterThan(0);
    expect(media.height).toBeGreaterThan(0);

    const update = await publish(url, 'pictures', { body: media.markdown });
    expect(update.html).toContain('<figure class="lb-figure">');
    expect(update.html).toContain(`width="${media.width}" height="${media.height}"`);
    expect(update.html).toContain('<small class="lb-credit">Photo: Desk</small>');
    const urls = mediaUrls(update.html);
    // Three formats (AVIF, WebP, the fallback) at one width at least, and the full size.
    expect(urls.length).toBeGreaterThanOrEqual(4);
    expect(urls).toContain(new URL(media.url).pathname);
    for (const path of urls) {
      const response = await fetch(url + path);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(TYPES[path.split('.').pop()!]);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const hash = /-([0-9a-f]{16})\./.exec(path)![1];
      expect(response.headers.get('etag')).toBe(`"${hash}"`);
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
      expect(metadataFound(bytes)).toEqual([]);
      const revalidated = await fetch(url + path, { headers: { 'if-none-match': `"${hash}"` } });
      expect(revalidated.status).toBe(304);
    }
    // The picture's own address leads to its full size.
    const redirect = await fetch(`${url}/media/pictures/${media.id}`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(new URL(media.url).pathname);
    expect(await temps()).toEqual([]);
  });

  it('answers HEAD with the length and type, and never serves the record', async () => {
    const media = (await upload('pictures', await richJpeg(320, 240))).body;
    const full = new URL(media.url).pathname;
    const head = await fetch(url + full, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('image/jpeg');
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    for (const path of [
      `/media/pictures/${media.id}/meta.json`,
      `/media/pictures/${media.id}/..%2Fmeta.json`,
      `/media/elsewhere/${media.id}`,
    ]) {
      const response = await fetch(url + path, { redirect: 'manual' });
      expect(response.status).toBe(404);
    }
  });
});

/** A request written by hand: headers that claim what the body will not be (Content-Length, chunked). */
function rawUpload(
  path: string,
  headers: Record<string, string | number>,
  write: (req: http.ClientRequest) => void,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}${path}`,
      { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    // The server answers (and closes) before the body is all sent: the rest of it has nowhere to go.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
    });
    write(req);
  });
}

const BOUNDARY = 'liveblogtestboundary';
const partHead = (name: string, filename?: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n` +
  (filename ? 'Content-Type: image/jpeg\r\n' : '') +
  '\r\n';

/** An SVG that is also an HTML page with a script, named and typed as a PNG. */
const SVG_POLYGLOT = Buffer.from(
  '<?xml version="1.0"?><!DOCTYPE html><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' +
    '<html><body><script>alert(1)</script></body></html><image href="data:image/png;base64,iVBORw0KGgo="/></svg>',
);

describe('a refused upload stores nothing and leaves no temporary file', () => {
  const expectNothingKept = async () => {
    expect(await stored('refusals')).toEqual([]);
    await waitFor(async () => (await temps()).length === 0, 'temporary upload files removed');
  };

  it('413 from Content-Length alone, before the body is read, closing the connection', async () => {
    const answer = await rawUpload(
      '/api/blogs/refusals/media',
      { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': 21 * 1024 * 1024 },
      (req) => req.write(partHead('file', 'big.jpg')),
    );
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    expect(JSON.parse(answer.body).error.code).toBe('payload_too_large');
    await expectNothingKept();
  });

  it('413 for a chunked body that passes 20 MB', async () => {
    const answer = await rawUpload(
      '/api/blogs/refusals/media',
      { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'transfer-encoding': 'chunked' },
      (req) => {
        req.write(partHead('alt') + 'Too big\r\n' + partHead('file', 'big.jpg'));
        const chunk = Buffer.alloc(1024 * 1024, 0xab);
        let sent = 0;
        const more = () => {
          while (sent < 22) {
            sent += 1;
            if (!req.write(chunk)) return void req.once('drain', more);
          }
          req.end(`\r\n--${BOUNDARY}--\r\n`);
        };
        req.on('response', () => (sent = 22));
        more();
      },
    );
    expect(answer.status).toBe(413);
    await expectNothingKept();
  });

  it('an upload cut off halfway leaves nothing behind', async () => {
    const picture = await richJpeg(1600, 1200);
    const head = partHead('alt') + 'Cut off\r\n' + partHead('file', 'photo.jpg');
    await new Promise<void>((resolve) => {
      const req = http.request(`${url}/api/blogs/refusals/media`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
          'content-length': head.length + picture.length + 100,
        },
      });
      req.on('error', () => resolve());
      req.write(head);
      req.write(picture.subarray(0, picture.length >> 1), () => {
        // Once the server holds half the picture in its temporary file, the client goes away.
        void waitFor(async () => (await temps()).length > 0, 'the upload under way').then(() => {
          req.destroy();
          resolve();
        });
      });
    });
    await expectNothingKept();
  });

  it.each([
    ['text', TEXT, 'notes.txt', 'text/plain'],
    ['SVG with a script', SVG_WITH_SCRIPT, 'photo.jpg', 'image/jpeg'],
    ['SVG/HTML polyglot named .png', SVG_POLYGLOT, 'photo.png', 'image/png'],
    ['TIFF', null, 'photo.tif', 'image/tiff'],
  ])('415 for %s', async (_name, bytes, filename, type) => {
    const answer = await upload('refusals', bytes ?? (await tiff()), { filename, type });
    expect(answer.status).toBe(415);
    expect(answer.body.error.code).toBe('unsupported_media_type');
    await expectNothingKept();
  });

  it('415 for a body that is not multipart', async () => {
    const answer = await request(url, 'POST', '/api/blogs/refusals/media', { body: { alt: 'x', file: 'aGVsbG8=' } });
    expect(answer.status).toBe(415);
    await expectNothingKept();
  });

  it.each([
    ['PNG of 400 megapixels (real data)', () => Promise.resolve(pngBomb())],
    ['PNG header claiming 100000×100000', () => Promise.resolve(pngHeaderBomb())],
    ['JPEG claiming 65000×65000', () => jpegSofBomb()],
    ['GIF of 64 megapixels', () => Promise.resolve(gifBomb())],
  ])('413 for a decompression bomb: %s, quickly', async (_name, make) => {
    const started = Date.now();
    const answer = await upload('refusals', await make(), { filename: 'bomb.png' });
    expect(answer.status).toBe(413);
    expect(Date.now() - started).toBeLessThan(2_000);
    await expectNothingKept();
  });

  it.each([
    ['no alt text', {}, 'alt'],
    ['an empty alt text', { alt: '   ' }, 'alt'],
    ['an alt text over 500 characters', { alt: 'a'.repeat(501) }, 'alt'],
    ['a caption over 4096 bytes', { alt: 'ok', caption: 'é'.repeat(2100) }, 'caption'],
    ['an unknown field', { alt: 'ok', title: 'no' }, 'title'],
  ])('400 for %s, naming the field', async (_name, fields, field) => {
    const answer = await upload('refusals', await richJpeg(160, 120), { fields: fields as Record<string, string> });
    expect(answer.status).toBe(400);
    expect(Object.keys(answer.body.error.details ?? {})).toEqual([field]);
    await expectNothingKept();
  });

  it('400 for two files, and for none', async () => {
    const two = await upload('refusals', await richJpeg(160, 120), { extraFiles: 1 });
    expect(two.status).toBe(400);
    expect(Object.keys(two.body.error.details ?? {})).toEqual(['file']);
    const none = await uploadPicture(url, 'refusals', null, { fields: { alt: 'No picture' } });
    expect(none.status).toBe(400);
    expect(Object.keys(none.body.error.details ?? {})).toEqual(['file']);
    await expectNothingKept();
  });

  it('a JPEG with an HTML page appended is a picture, and what is stored holds no script', async () => {
    const answer = await upload('polyglots', await jpegHtmlPolyglot());
    expect(answer.status).toBe(201);
    const keys = await stored('polyglots');
    expect(keys.length).toBeGreaterThan(4);
    for (const key of keys.filter((each) => !each.endsWith('meta.json'))) {
      const object = await server.media.get(key);
      expect(metadataFound(await readAll(object!.body))).toEqual([]);
    }
  });

  it('503 busy with its Retry-After when the picture queue is full, storing nothing for the refused, and no Redis error', async () => {
    const logLines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) }));
    const busy = await startServer({ prefix: `${prefix}-busy`, pictureProcessor: { concurrency: 1, maxWaiting: 0 }, logger });
    const redisErrors = async () =>
      Number(/^liveblog_redis_errors_total (\d+)$/m.exec(await (await fetch(`${busy.url}/metrics`)).text())?.[1] ?? NaN);
    try {
      const errorsBefore = await redisErrors();
      expect(errorsBefore).toBeGreaterThanOrEqual(0);
      await createBlog(busy.url, 'busy');
      const picture = await richJpeg(2400, 1800);
      const send = async () => {
        const answer = await uploadPicture(busy.url, 'busy', picture, { fields: { alt: 'Busy' } });
        return { status: answer.status, retryAfter: answer.headers.get('retry-after'), body: answer.body as ErrorAnswer };
      };
      const answers = await Promise.all([send(), send(), send()]);
      const refused = answers.filter((answer) => answer.status === 503);
      expect(refused.length).toBeGreaterThanOrEqual(1);
      // The route's own Retry-After, and a code that is not the store's: Redis is fine.
      expect(refused.every((answer) => answer.retryAfter === '5' && answer.body.error.code === 'busy')).toBe(true);
      expect(await redisErrors()).toBe(errorsBefore);
      const logged = logLines.map((line) => JSON.parse(line) as { level: number; msg: string });
      expect(logged.filter((line) => /store unavailable/.test(line.msg))).toEqual([]);
      expect(logged.some((line) => line.level === 40 && /busy/.test(line.msg))).toBe(true);
      // Nothing about a busy answer is logged as an error, the access log's line included.
      expect(logged.filter((line) => line.level >= 50)).toEqual([]);
      const created = answers.filter((answer) => answer.status === 201).length;
      expect(created).toBeGreaterThanOrEqual(1);
      const records = (await busy.media.list('busy/')).filter((key) => key.endsWith('meta.json'));
      expect(records).toHaveLength(created);
    } finally {
      await busy.stop();
    }
  });
});

describe('who may upload, list and take down', () => {
  let contributor: Person;
  let otherEditor: { token: string };
  let editor: { token: string };

  beforeAll(async () => {
    contributor = await person(url, 'Taras', 'contributor', ['pictures']);
    otherEditor = await editorToken(url, 'Elsewhere desk', ['elsewhere']);
    editor = await editorToken(url, 'Pictures desk', ['pictures']);
  });

  /** A contributor's upload from the desk: the cookie, and the page's own Origin. */
  const contributorUpload = async (headers: Record<string, string> = { origin: url }) =>
    upload('pictures', await richJpeg(200, 150), {
      fields: { alt: 'From the field' },
      token: null,
      headers: { cookie: `lb_session=${contributor.cookie}`, ...headers },
    });

  it('a contributor of the blog may upload (same-origin only); a reader or another blog’s editor may not', async () => {
    expect((await contributorUpload()).status).toBe(201);
    expect((await contributorUpload({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await contributorUpload({})).status).toBe(403);
    const picture = await richJpeg(200, 150);
    expect((await upload('pictures', picture, { token: null })).status).toBe(401);
    expect((await upload('pictures', picture, { token: otherEditor.token })).status).toBe(403);
    expect((await upload('no-such-blog', picture)).status).toBe(404);
  });

  it('uploads are writes: counted against the token’s write limit', async () => {
    const limited = await startServer({ prefix: `${prefix}-limited`, editorWritesPerMinute: 2 });
    try {
      await createBlog(limited.url, 'limited');
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await uploadPicture(limited.url, 'limited', TEXT, { filename: 'notes.txt', fields: { alt: 'x' } })).status);
      }
      // The blog's creation was the first write.
      expect(statuses).toEqual([415, 429, 429]);
    } finally {
      await limited.stop();
    }
  });

  it('lists the blog’s pictures to those who may submit there; only editors see who uploaded', async () => {
    const asEditor = await request<{ media: ListedMedia[] }>(url, 'GET', '/api/blogs/pictures/media', { token: editor.token });
    expect(asEditor.status).toBe(200);
    expect(asEditor.body.media.length).toBeGreaterThan(0);
    expect(asEditor.body.media.some((media) => media.uploadedBy === `person:${contributor.id}`)).toBe(true);
    expect(asEditor.body.media[0].thumbnail).toMatch(/^\/media\/pictures\/[0-9a-z]{20}\/\d+-[0-9a-f]{16}\.(jpg|png)$/);
    const asContributor = await contributor.call<{ media: { uploadedBy?: string }[] }>('GET', '/api/blogs/pictures/media');
    expect(asContributor.status).toBe(200);
    expect(asContributor.body.media.every((media) => media.uploadedBy === undefined)).toBe(true);
    expect((await request(url, 'GET', '/api/blogs/pictures/media', { token: null })).status).toBe(401);
    expect((await request(url, 'GET', '/api/blogs/pictures/media', { token: otherEditor.token })).status).toBe(403);
  });

  it('a contributor’s list holds only their own uploads; an editor’s, every picture of the blog', async () => {
    const theirs = (await contributorUpload()).body;
    // An editor's picture not used anywhere yet (perhaps under embargo).
    const editors = (await upload('pictures', await richJpeg(200, 150), { token: editor.token })).body;
    const asContributor = await contributor.call<{ media: ListedMedia[] }>('GET', '/api/blogs/pictures/media');
    const seen = asContributor.body.media.map((media) => media.id);
    expect(seen).toContain(theirs.id);
    expect(seen).not.toContain(editors.id);
    const mine = await request<{ media: (MediaInfo & { uploadedBy: string })[] }>(url, 'GET', '/api/blogs/pictures/media', {
      token: editor.token,
    });
    expect(mine.body.media.map((media) => media.id)).toEqual(expect.arrayContaining([theirs.id, editors.id]));
    expect(seen).toEqual(mine.body.media.filter((media) => media.uploadedBy === `person:${contributor.id}`).map((media) => media.id));
  });

  it('only an editor of the blog may take a picture down; an unknown one is 404', async () => {
    const media = (await upload('pictures', await richJpeg(200, 150))).body;
    expect((await contributor.call('DELETE', `/api/blogs/pictures/media/${media.id}`)).status).toBe(403);
    expect((await request(url, 'DELETE', `/api/blogs/pictures/media/${media.id}`, { token: otherEditor.token })).status).toBe(403);
    expect((await request(url, 'DELETE', `/api/blogs/pictures/media/${'0'.repeat(20)}`, { token: editor.token })).status).toBe(404);
    expect((await request(url, 'DELETE', `/api/blogs/elsewhere/media/${media.id}`)).status).toBe(404);
    expect((await fetch(media.url)).status).toBe(200);
  });
});

describe('a takedown', () => {
  it('removes the files, and re-renders every update and waiting entry that shows the picture, live and on the page', async () => {
    await createBlog(url, 'takedown');
    const contributor = await person(url, 'Maria', 'contributor', ['takedown']);
    const media = (await upload('takedown', await richJpeg(640, 480), { fields: { alt: 'Secret alt', caption: 'Secret caption' } })).body;
    const keep = (await upload('takedown', await richJpeg(320, 240), { fields: { alt: 'Kept picture' } })).body;
    const alone = await publish(url, 'takedown', { body: media.markdown, title: 'Alone' });
    const inline = await publish(url, 'takedown', { body: `Before ![Secret inline](/media/takedown/${media.id}) and ${keep.markdown}` });
    const unrelated = await publish(url, 'takedown', { body: 'Nothing to see.' });
    const waiting = await contributor.call<Update>('POST', '/api/blogs/takedown/updates', { body: media.markdown });
    expect(waiting.status).toBe(202);
    const page = await fetch(`${url}/blogs/takedown`);
    expect(await page.text()).toContain(`/media/takedown/${media.id}/`);
    const files = mediaUrls(alone.html);

    const reader = await connectReader(url);
    try {
      await reader.subscribe('takedown');
      const answer = await request(url, 'DELETE', `/api/blogs/takedown/media/${media.id}`);
      expect(answer.status).toBe(204);

      for (const path of files) expect((await fetch(url + path)).status).toBe(404);
      expect((await fetch(url + files[0], { headers: { 'if-none-match': `"${/-([0-9a-f]{16})\./.exec(files[0])![1]}"` } })).status).toBe(
        404,
      );
      expect((await fetch(`${url}/media/takedown/${media.id}`, { redirect: 'manual' })).status).toBe(404);
      expect(await stored('takedown').then((keys) => keys.filter((key) => key.includes(media.id)))).toEqual([]);

      const events = await reader.waitForEvents(2);
      expect(events.map((event) => [event.type, event.update?.id]).sort()).toEqual(
        [
          ['update.edited', alone.id],
          ['update.edited', inline.id],
        ].sort(),
      );
      for (const event of events) {
        const before = event.update!.id === alone.id ? alone : inline;
        expect(event.update!.version).toBe(before.version + 1);
        expect(event.update!.editedAt).toBe(before.editedAt);
        // The picture's references leave the body too (media-takedown.test.ts has the forms), the rest stays.
        expect(event.update!.body).not.toMatch(new RegExp(`Secret|${media.id}`));
        expect(event.update!.html).not.toMatch(new RegExp(`Secret|${media.id}`));
      }
      expect(events.find((event) => event.update!.id === inline.id)!.update!.body).toBe(`Before  and ${keep.markdown}`);
      // The other picture in the same update stays.
      expect(events.find((event) => event.update!.id === inline.id)!.update!.html).toContain(`/media/takedown/${keep.id}/`);
      expect((await request<Update>(url, 'GET', `/api/blogs/takedown/updates/${unrelated.id}`)).body.version).toBe(1);

      // No file of it is named on the page or in the feed; the other picture stays.
      const after = await (await fetch(`${url}/blogs/takedown`)).text();
      expect(after).not.toContain(`/media/takedown/${media.id}/`);
      expect(after).toContain(`/media/takedown/${keep.id}/`);
      const feed = await (await fetch(`${url}/blogs/takedown/feed.atom`)).text();
      expect(feed).not.toContain(`/media/takedown/${media.id}/`);

      const entry = await contributor.call<Update>('GET', `/api/blogs/takedown/pending/${waiting.body.id}`);
      expect(entry.body.html).not.toContain(media.id);
      expect(entry.body.body).not.toContain(media.id);

      const audit = await request<AuditPage>(url, 'GET', '/api/audit?limit=20');
      expect(audit.body.entries.find((each) => each.action === 'media.removed')).toMatchObject({ blogId: 'takedown' });
      expect(audit.body.entries.find((each) => each.action === 'media.uploaded')).toBeTruthy();
    } finally {
      reader.close();
    }
  });

  it('taken down again after one that stopped halfway (record and files gone, updates not yet rendered again): 204, and they are', async () => {
    await createBlog(url, 'half-done');
    const contributor = await person(url, 'Oksana', 'contributor', ['half-done']);
    const media = (await upload('half-done', await richJpeg(320, 240))).body;
    const update = await publish(url, 'half-done', { body: media.markdown });
    const waiting = await contributor.call<Update>('POST', '/api/blogs/half-done/updates', { body: `Seen it: ${media.markdown}` });
    expect(update.html).toContain(`/media/half-done/${media.id}/`);
    // The first takedown removed the record and the files, then the store failed before any re-render.
    await server.media.delete(await stored(`half-done/${media.id}`));
    expect(await stored('half-done')).toEqual([]);

    expect((await request(url, 'DELETE', `/api/blogs/half-done/media/${media.id}`)).status).toBe(204);
    const after = await request<Update>(url, 'GET', `/api/blogs/half-done/updates/${update.id}`);
    expect(after.body.version).toBe(update.version + 1);
    expect(after.body.html).not.toContain(media.id);
    const entry = await contributor.call<Update>('GET', `/api/blogs/half-done/pending/${waiting.body.id}`);
    expect(entry.body.version).toBe(waiting.body.version + 1);
    expect(entry.body.html).not.toContain(media.id);
    // Nothing shows it any more: one more is 404, and renders nothing again.
    expect((await request(url, 'DELETE', `/api/blogs/half-done/media/${media.id}`)).status).toBe(404);
    expect((await request<Update>(url, 'GET', `/api/blogs/half-done/updates/${update.id}`)).body.version).toBe(after.body.version);
  });

  it('an edit that read the picture just before the takedown and writes after its sweep is written without it: no file, alt text or caption', async () => {
    await createBlog(url, 'edit-race');
    const media = (await upload('edit-race', await richJpeg(320, 240), { fields: { alt: 'Zebra', caption: 'Quokka caption' } })).body;
    const update = await publish(url, 'edit-race', { body: `Before.\n\n${media.markdown}` });
    // The edit's read of the picture's record is held once it has the record, as on a slow store.
    const recordKey = `edit-race/${media.id}/meta.json`;
    const storage = server.media;
    const get = storage.get.bind(storage);
    let read!: () => void;
    let release!: () => void;
    const hasRead = new Promise<void>((resolve) => (read = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding = true;
    storage.get = async (key) => {
      const object = await get(key);
      if (key !== recordKey || !holding || !object) return object;
      holding = false;
      const bytes = await readAll(object.body);
      read();
      await released;
      return { ...object, body: Readable.from([bytes]) };
    };
    try {
      // An editor corrects the text with the picture still in it (their form was opened before the takedown).
      const edit = request<Update>(url, 'PATCH', `/api/blogs/edit-race/updates/${update.id}`, {
        body: { body: `Corrected.\n\n${media.markdown}` },
      });
      await hasRead;
      expect((await request(url, 'DELETE', `/api/blogs/edit-race/media/${media.id}`)).status).toBe(204);
      const swept = (await request<Update>(url, 'GET', `/api/blogs/edit-race/updates/${update.id}`)).body;
      expect(swept.html).not.toContain(media.id);
      release();
      const edited = await edit;
      expect(edited.status).toBe(200);
      const after = (await request<Update>(url, 'GET', `/api/blogs/edit-race/updates/${update.id}`)).body;
      expect(after).toEqual(edited.body);
      expect(after.body).toContain('Corrected.');
      for (const text of [after.body, after.html]) expect(text).not.toMatch(new RegExp(`${media.id}|Zebra|Quokka`));
      // Nothing shows it: one more takedown has nothing to do.
      expect((await request(url, 'DELETE', `/api/blogs/edit-race/media/${media.id}`)).status).toBe(404);
      // A draft written before the takedown and sent after it is published without it.
      const late = await publish(url, 'edit-race', { body: `Late draft.\n\n${media.markdown}` });
      expect(late.body).toContain('Late draft.');
      for (const text of [late.body, late.html]) expect(text).not.toMatch(new RegExp(`${media.id}|Zebra|Quokka`));
    } finally {
      storage.get = get;
      release();
    }
  });

  it('two pictures of one update and of one waiting entry taken down at once: both 204, neither left', async () => {
    await createBlog(url, 'two-at-once');
    const contributor = await person(url, 'Lesia', 'contributor', ['two-at-once']);
    const [first, second] = await Promise.all(
      ['Zebra', 'Okapi'].map(async (alt) => (await upload('two-at-once', await richJpeg(320, 240), { fields: { alt } })).body),
    );
    const both = `${first!.markdown}\n\nBetween.\n\n${second!.markdown}`;
    const update = await publish(url, 'two-at-once', { body: both });
    const waiting = (await contributor.call<Update>('POST', '/api/blogs/two-at-once/updates', { body: both })).body;
    const answers = await Promise.all([first!, second!].map((media) => request(url, 'DELETE', `/api/blogs/two-at-once/media/${media.id}`)));
    expect(answers.map((answer) => answer.status)).toEqual([204, 204]);
    const after = (await request<Update>(url, 'GET', `/api/blogs/two-at-once/updates/${update.id}`)).body;
    const entry = (await contributor.call<Update>('GET', `/api/blogs/two-at-once/pending/${waiting.id}`)).body;
    for (const text of [after.body, after.html, entry.body, entry.html]) {
      expect(text).toContain('Between.');
      expect(text).not.toMatch(new RegExp(`${first!.id}|${second!.id}|Zebra|Okapi`));
    }
  });

  it('a picture also named in a form the takedown cannot remove (reference-style): 204, “Picture not available.”, and the update stays editable', async () => {
    await createBlog(url, 'by-reference');
    const media = (await upload('by-reference', await richJpeg(320, 240), { fields: { alt: 'Zebra' } })).body;
    const update = await publish(url, 'by-reference', {
      body: `${media.markdown}\n\nAgain: ![Zebra][again]\n\n[again]: /media/by-reference/${media.id}`,
    });
    expect(update.html.match(/class="lb-picture"/g)).toHaveLength(2);
    expect((await request(url, 'DELETE', `/api/blogs/by-reference/media/${media.id}`)).status).toBe(204);
    const after = (await request<Update>(url, 'GET', `/api/blogs/by-reference/updates/${update.id}`)).body;
    expect(after.html).not.toContain('lb-picture');
    expect(after.html).toContain('Picture not available.');
    const edited = await request<Update>(url, 'PATCH', `/api/blogs/by-reference/updates/${update.id}`, {
      body: { title: 'Still editable' },
    });
    expect(edited.status).toBe(200);
    expect((await request(url, 'DELETE', `/api/blogs/by-reference/media/${media.id}`)).status).toBe(404);
  });

  it('a rejected entry loses the picture too: its contributor reads it until the rejection expires', async () => {
    await createBlog(url, 'rejected-entry');
    const contributor = await person(url, 'Bohdan', 'contributor', ['rejected-entry']);
    const media = (await upload('rejected-entry', await richJpeg(320, 240), { fields: { alt: 'Zebra', caption: 'Quokka caption' } })).body;
    const waiting = (await contributor.call<Update>('POST', '/api/blogs/rejected-entry/updates', { body: `Seen it.\n\n${media.markdown}` }))
      .body;
    const rejected = await request(url, 'POST', `/api/blogs/rejected-entry/updates/${waiting.id}/reject`, { body: { reason: 'Not ours' } });
    expect(rejected.status).toBe(200);
    expect((await request(url, 'DELETE', `/api/blogs/rejected-entry/media/${media.id}`)).status).toBe(204);
    const entry = (await contributor.call<PendingUpdate>('GET', `/api/blogs/rejected-entry/pending/${waiting.id}`)).body;
    expect(entry).toMatchObject({ status: 'rejected', rejection: { reason: 'Not ours' }, version: waiting.version + 1 });
    expect(entry.body).toBe('Seen it.');
    expect(entry.html).not.toMatch(new RegExp(`${media.id}|Zebra|Quokka`));
    expect((await request(url, 'DELETE', `/api/blogs/rejected-entry/media/${media.id}`)).status).toBe(404);
  });

  it('deleting an update keeps the picture another update uses', async () => {
    await createBlog(url, 'reuse');
    const media = (await upload('reuse', await richJpeg(320, 240))).body;
    const first = await publish(url, 'reuse', { body: media.markdown });
    const second = await publish(url, 'reuse', { body: `Again: ${media.markdown}` });
    expect((await request(url, 'DELETE', `/api/blogs/reuse/updates/${first.id}`)).status).toBe(204);
    for (const path of mediaUrls(second.html)) expect((await fetch(url + path)).status).toBe(200);
    const still = await request<Update>(url, 'GET', `/api/blogs/reuse/updates/${second.id}`);
    expect(still.body.html).toBe(second.html);
  });
});

describe('pictures beyond the page', () => {
  it('the Atom feed names them by absolute URLs, and the JSON-LD gives each update its pictures', async () => {
    await createBlog(url, 'syndicated');
    const media = (await upload('syndicated', await richJpeg(320, 240))).body;
    const update = await publish(url, 'syndicated', { body: media.markdown });
    const feed = await (await fetch(`${url}/blogs/syndicated/feed.atom`)).text();
    const content = /<content type="html">([^<]*)<\/content>/.exec(feed)![1];
    expect(content).toContain(`src=&quot;${url}/media/syndicated/${media.id}/`);
    expect(content).toContain(`href=&quot;${url}/media/syndicated/${media.id}/full-`);
    expect(content).not.toMatch(/(src|href|srcset)=&quot;\/media\//);
    expect(content).not.toMatch(/, \/media\//);
    const page = await (await fetch(`${url}/blogs/syndicated`)).text();
    const ld = JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/.exec(page)![1]) as {
      liveBlogUpdate: { '@id': string; image?: string[] }[];
    };
    const entry = ld.liveBlogUpdate.find((each) => each['@id'].endsWith(update.id))!;
    expect(entry.image).toEqual([media.url]);
  });

  it('the JSON-LD names a picture inside a link the author wrote too (by the file it shows)', async () => {
    await createBlog(url, 'linked');
    const media = (await upload('linked', await richJpeg(320, 240))).body;
    const update = await publish(url, 'linked', { body: `[![A checkpoint](/media/linked/${media.id})](https://example.com/story)` });
    const shown = /<img src="(\/media\/[^"]+)"/.exec(update.html)![1];
    const page = await (await fetch(`${url}/blogs/linked`)).text();
    const ld = JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/.exec(page)![1]) as {
      liveBlogUpdate: { '@id': string; image?: string[] }[];
    };
    expect(ld.liveBlogUpdate.find((each) => each['@id'].endsWith(update.id))!.image).toEqual([url + shown]);
  });
});

describe('every render looks the pictures up', () => {
  it('publish, edit, a contributor’s entry, its approval and the desk’s preview all show the figure', async () => {
    await createBlog(url, 'renders');
    const contributor = await person(url, 'Olha', 'contributor', ['renders']);
    const media = (await upload('renders', await richJpeg(320, 240), { fields: { alt: 'Checkpoint', caption: 'At dawn' } })).body;
    const figure = `<figure class="lb-figure"><a class="lb-picture" href="/media/renders/${media.id}/full-`;

    const update = await publish(url, 'renders', { body: 'Text first.' });
    const edited = await request<Update>(url, 'PATCH', `/api/blogs/renders/updates/${update.id}`, { body: { body: media.markdown } });
    expect(edited.body.html).toContain(figure);

    const entry = await contributor.call<Update>('POST', '/api/blogs/renders/updates', { body: media.markdown });
    expect(entry.status).toBe(202);
    expect(entry.body.html).toContain(figure);
    const corrected = await request<Update>(url, 'PATCH', `/api/blogs/renders/pending/${entry.body.id}`, {
      body: { body: `Corrected. ${media.markdown}` },
    });
    expect(corrected.body.html).toContain(`<a class="lb-picture" href="/media/renders/${media.id}/full-`);
    const approved = await request<Update>(url, 'POST', `/api/blogs/renders/updates/${entry.body.id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body.html).toContain(`/media/renders/${media.id}/`);

    // The preview: with the blog named, and without (the blog a picture in the body names).
    for (const body of [{ body: media.markdown, blogId: 'renders' }, { body: media.markdown }]) {
      const preview = await request<{ html: string }>(url, 'POST', '/api/preview', { body });
      expect(preview.body.html).toContain(figure);
    }
    // Another blog's editor previews it as they would publish it elsewhere: not available.
    const other = await editorToken(url, 'Elsewhere preview', ['elsewhere']);
    const foreign = await request<{ html: string }>(url, 'POST', '/api/preview', { body: { body: media.markdown }, token: other.token });
    expect(foreign.body.html).toBe('<small class="lb-image-refused">Picture not available.</small>');
  });

  it('an approval renders the entry again: a picture taken down while it waited is not published', async () => {
    await createBlog(url, 'approvals');
    const contributor = await person(url, 'Ivan', 'contributor', ['approvals']);
    const media = (await upload('approvals', await richJpeg(320, 240))).body;
    const entry = await contributor.call<Update>('POST', '/api/blogs/approvals/updates', { body: media.markdown });
    expect(entry.body.html).toContain(media.id);
    // Removed behind the service's back (as another process's takedown racing this entry would).
    await server.media.delete([`approvals/${media.id}/meta.json`]);
    const approved = await request<Update>(url, 'POST', `/api/blogs/approvals/updates/${entry.body.id}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body.html).toBe('<small class="lb-image-refused">Picture not available.</small>');
  });
});

describe('pictures and the per-address limit', () => {
  it('a reader’s address is never limited out of pictures, as it is of pages past the limit', async () => {
    const limited = await startServer({ prefix: `${prefix}-ip`, ipRequestsPerMinute: 4 });
    try {
      await createBlog(limited.url, 'busy');
      const media = (await uploadPicture(limited.url, 'busy', await richJpeg(320, 240), { fields: { alt: 'Crowd' } })).body;
      const full = new URL(media.url).pathname;
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++)
        statuses.push(
          (await fetch(limited.url + full)).status,
          (await fetch(`${limited.url}/media/busy/${media.id}`, { redirect: 'manual' })).status,
        );
      expect(new Set(statuses)).toEqual(new Set([200, 302]));
      const pages: number[] = [];
      for (let i = 0; i < 4; i++) pages.push((await fetch(`${limited.url}/blogs/busy`)).status);
      expect(pages).toContain(429);
    } finally {
      await limited.stop();
    }
  });
});
