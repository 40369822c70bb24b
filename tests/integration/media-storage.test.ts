/**
 * One contract for the media storage, run against the local folder and against a real S3-compatible
 * server (s3rver, started here): what the catalog and the HTTP routes rely on must hold on both.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { MediaCatalog, newMediaId } from '../../server/media/catalog';
import { openMediaStorage } from '../../server/media/open';
import type { ProcessedFile } from '../../server/media/process';
import { readAll, type MediaStorage } from '../../server/media/storage';
import { LocalMediaStorage } from '../../server/media/storage-local';
import { S3MediaStorage } from '../../server/media/storage-s3';
import type { MediaRecord } from '../../server/media/types';
import { startS3, type S3Server } from '../helpers/s3';

function fakeFile(name: string, format: ProcessedFile['format'], body: Buffer): ProcessedFile {
  return { name, format, width: 480, height: 320, bytes: body.length, body };
}

function hex16(): string {
  return randomBytes(8).toString('hex');
}

function record(blogId: string, createdAt: string, files: ProcessedFile[]): MediaRecord {
  const strip = ({ body: _body, ...file }: ProcessedFile) => file;
  return {
    id: newMediaId(),
    blogId,
    width: 480,
    height: 320,
    alt: 'A burning tank on a road',
    fallback: 'jpeg',
    variants: files.slice(0, -1).map(strip),
    full: strip(files[files.length - 1]),
    source: { format: 'jpeg', width: 4000, height: 3000, bytes: 1234 },
    createdAt,
    uploadedBy: 'person:abc',
  };
}

interface Backend {
  name: string;
  open(): Promise<{ storage: MediaStorage; close(): Promise<void> }>;
}

let s3: S3Server;
const folders: string[] = [];

beforeAll(async () => {
  s3 = await startS3();
});

afterAll(async () => {
  await s3?.stop();
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), 'media-local-'));
  folders.push(folder);
  return folder;
}

const backends: Backend[] = [
  {
    name: 'local folder',
    async open() {
      const storage = new LocalMediaStorage(path.join(await tempFolder(), 'media'));
      return { storage, close: () => storage.close() };
    },
  },
  {
    name: 's3rver',
    async open() {
      // Each suite its own key prefix in the one bucket, so suites never see each other's keys.
      const storage = new S3MediaStorage({ ...s3.settings, prefix: `run-${hex16()}/` });
      return { storage, close: () => storage.close() };
    },
  },
];

describe.each(backends)('media storage contract: $name', (backend) => {
  let storage: MediaStorage;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ storage, close } = await backend.open());
  });
  afterAll(async () => {
    await close();
  });

  it('puts, gets and heads an object; overwriting replaces it', async () => {
    const body = Buffer.from('first version');
    await storage.put('blog-a/m1/480-0123456789abcdef.jpg', body, 'image/jpeg');
    const object = await storage.get('blog-a/m1/480-0123456789abcdef.jpg');
    expect(object).not.toBeNull();
    expect(object!.size).toBe(body.length);
    expect(object!.contentType).toBe('image/jpeg');
    expect((await readAll(object!.body)).equals(body)).toBe(true);
    expect(await storage.head('blog-a/m1/480-0123456789abcdef.jpg')).toEqual({ size: body.length, contentType: 'image/jpeg' });

    await storage.put('blog-a/m1/480-0123456789abcdef.jpg', Buffer.from('second'), 'image/jpeg');
    expect((await readAll((await storage.get('blog-a/m1/480-0123456789abcdef.jpg'))!.body)).toString()).toBe('second');
  });

  it('answers null for a missing object, in get and head', async () => {
    expect(await storage.get('blog-a/nothing/here.jpg')).toBeNull();
    expect(await storage.head('blog-a/nothing/here.jpg')).toBeNull();
    // A "folder" that exists is not an object either.
    expect(await storage.get('blog-a/m1')).toBeNull();
    expect(await storage.head('blog-a')).toBeNull();
  });

  it('lists by prefix, sorted, and never across a longer name', async () => {
    for (const key of ['lists/x1/a.png', 'lists/x1/b.png', 'lists/x2/meta.json', 'lists-other/x1/a.png', 'listsx/a.png']) {
      await storage.put(key, Buffer.from(key), 'image/png');
    }
    expect(await storage.list('lists/x1/')).toEqual(['lists/x1/a.png', 'lists/x1/b.png']);
    expect(await storage.list('lists/')).toEqual(['lists/x1/a.png', 'lists/x1/b.png', 'lists/x2/meta.json']);
    expect(await storage.list('lists/x')).toEqual(['lists/x1/a.png', 'lists/x1/b.png', 'lists/x2/meta.json']);
    expect(await storage.list('nothing-here/')).toEqual([]);
  });

  it('deletes keys (absent ones are no error)', async () => {
    await storage.put('gone/m/a.webp', Buffer.from('a'), 'image/webp');
    await storage.put('gone/m/b.webp', Buffer.from('b'), 'image/webp');
    await storage.put('gone/n/c.webp', Buffer.from('c'), 'image/webp');
    await storage.delete(['gone/m/a.webp', 'gone/m/b.webp', 'gone/m/never-was.webp']);
    expect(await storage.list('gone/')).toEqual(['gone/n/c.webp']);
    expect(await storage.get('gone/m/a.webp')).toBeNull();
    await storage.delete([]);
  });

  it('lists and deletes more than one page (1000 keys) at once', async () => {
    const keys = Array.from({ length: 1010 }, (_, i) => `many/m/${String(i).padStart(4, '0')}.png`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((key) => storage.put(key, Buffer.from('x'), 'image/png')));
    }
    expect(await storage.list('many/')).toEqual(keys);
    await storage.delete(keys);
    expect(await storage.list('many/')).toEqual([]);
  }, 60_000);

  it('refuses keys that could escape the folder or the prefix', async () => {
    const bad = [
      '../escape.jpg',
      'a/../../escape.jpg',
      '/etc/passwd',
      'a//b.jpg',
      'a\\..\\b.jpg',
      '.hidden',
      'a/.tmp-x',
      '',
      'a/',
      'é.jpg',
    ];
    for (const key of bad) {
      await expect(storage.put(key, Buffer.from('x'), 'image/jpeg')).rejects.toThrow(/invalid media storage key/);
      await expect(storage.get(key)).rejects.toThrow(/invalid media storage key/);
      await expect(storage.head(key)).rejects.toThrow(/invalid media storage key/);
      await expect(storage.delete([key])).rejects.toThrow(/invalid media storage key/);
    }
    await expect(storage.list('../')).rejects.toThrow(/invalid media storage prefix/);
    await expect(storage.list('/')).rejects.toThrow(/invalid media storage prefix/);
  });

  it('round-trips a large object byte for byte, its body streamed in many chunks', async () => {
    const body = randomBytes(12 * 1024 * 1024 + 7);
    await storage.put('large/m/full-0123456789abcdef.jpg', body, 'image/jpeg');
    const object = await storage.get('large/m/full-0123456789abcdef.jpg');
    expect(object!.size).toBe(body.length);
    // Read by hand: the chunks are counted.
    const chunks: Buffer[] = [];
    for await (const chunk of object!.body) chunks.push(chunk as Buffer);
    expect(chunks.length).toBeGreaterThan(1);
    const bytes = Buffer.concat(chunks);
    expect(bytes.length).toBe(body.length);
    expect(bytes.equals(body)).toBe(true);
  }, 60_000);

  it('serves the catalog: files first and record last, newest first, takedown removes everything', async () => {
    const catalog = new MediaCatalog(storage);
    const filesOf = () => [
      fakeFile(`480-${hex16()}.avif`, 'avif', randomBytes(300)),
      fakeFile(`480-${hex16()}.jpg`, 'jpeg', randomBytes(300)),
      fakeFile(`full-${hex16()}.jpg`, 'jpeg', randomBytes(500)),
    ];
    const olderFiles = filesOf();
    const older = record('catalog-blog', '2026-11-28T10:00:00.000Z', olderFiles);
    const newer = record('catalog-blog', '2026-11-28T11:00:00.000Z', filesOf());
    const elsewhere = record('catalog-blog-2', '2026-11-28T12:00:00.000Z', filesOf());
    await catalog.save(older, olderFiles);
    await catalog.save(newer, filesOf());
    await catalog.save(elsewhere, filesOf());

    expect(await catalog.get('catalog-blog', older.id)).toEqual(older);
    expect((await catalog.list('catalog-blog')).map((r) => r.id)).toEqual([newer.id, older.id]);
    const file = await catalog.file('catalog-blog', older.id, olderFiles[0].name);
    expect((await readAll(file!.body)).equals(olderFiles[0].body)).toBe(true);
    expect(await catalog.fileHead('catalog-blog', older.id, olderFiles[2].name)).toEqual({ size: 500, contentType: 'image/jpeg' });
    // The record is never a file, nor is anything named unlike one, nor another blog's picture.
    expect(await catalog.file('catalog-blog', older.id, 'meta.json')).toBeNull();
    expect(await catalog.fileHead('catalog-blog', older.id, '../meta.json')).toBeNull();
    expect(await catalog.file('catalog-blog-2', older.id, olderFiles[0].name)).toBeNull();
    expect(await catalog.get('catalog-blog', 'not-an-id')).toBeNull();

    expect(await catalog.remove('catalog-blog', older.id)).toEqual(older);
    expect(await catalog.get('catalog-blog', older.id)).toBeNull();
    expect(await storage.list(`catalog-blog/${older.id}/`)).toEqual([]);
    expect((await catalog.list('catalog-blog')).map((r) => r.id)).toEqual([newer.id]);
    expect(await catalog.remove('catalog-blog', older.id)).toBeNull();
  });

  it('removes the files a failed save wrote, so no file outlives a save that did not finish', async () => {
    const catalog = new MediaCatalog(storage);
    const files = [fakeFile(`480-${hex16()}.jpg`, 'jpeg', randomBytes(100)), fakeFile('not a valid name.jpg', 'jpeg', randomBytes(100))];
    const broken = record('failed-save', '2026-11-28T10:00:00.000Z', files);
    await expect(catalog.save(broken, files)).rejects.toThrow(/invalid media file name/);
    expect(await storage.list('failed-save/')).toEqual([]);
  });
});

describe('local folder storage', () => {
  it('writes atomically (no temporary file left behind) and keeps every file inside its folder', async () => {
    const parent = await tempFolder();
    const storage = new LocalMediaStorage(path.join(parent, 'media'));
    await storage.put('blog/m/480-0123456789abcdef.png', Buffer.from('x'), 'image/png');
    expect(await readdir(path.join(parent, 'media', 'blog', 'm'))).toEqual(['480-0123456789abcdef.png']);
    await expect(storage.put('../outside.png', Buffer.from('x'), 'image/png')).rejects.toThrow(/invalid media storage key/);
    expect(existsSync(path.join(parent, 'outside.png'))).toBe(false);
    // A takedown leaves no empty folders behind.
    await storage.delete(['blog/m/480-0123456789abcdef.png']);
    expect(await readdir(path.join(parent, 'media'))).toEqual([]);
  });
});

describe('openMediaStorage', () => {
  it('opens the folder or the bucket the settings name, and logs where without a secret', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const folder = await tempFolder();
    const local = openMediaStorage({ kind: 'local', dir: folder }, logger);
    expect(local.describe()).toBe(`folder ${folder}`);
    const remote = openMediaStorage({ ...s3.settings, secretAccessKey: 'very-secret-key-123' }, logger);
    await remote.put('open/m/a.png', Buffer.from('x'), 'image/png');
    expect(await remote.list('open/')).toEqual(['open/m/a.png']);
    expect(remote.describe()).toBe(`S3 bucket ${s3.bucket} at ${s3.endpoint}`);
    await remote.close();
    expect(lines.join('')).toContain(s3.endpoint);
    expect(lines.join('')).not.toContain('very-secret-key-123');
    expect(lines.join('')).not.toContain('S3RVER');
  });
});
