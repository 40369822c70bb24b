/**
 * The same upload → serve → takedown path as media-api.test.ts, end to end with the app's pictures in a
 * real S3-compatible server (s3rver, started here; tests/helpers/s3.ts): the files served are the ones
 * in the bucket, a takedown empties the picture's prefix there, and readers' screens drop it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Update } from '../../shared/schemas';
import { createLogger } from '../../server/logger';
import { openMediaStorage } from '../../server/media/open';
import { readAll } from '../../server/media/storage';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { uploadPicture } from '../helpers/media';
import { metadataFound, richJpeg } from '../helpers/pictures';
import { connectReader } from '../helpers/reader';
import { testPrefix } from '../helpers/redis';
import { startS3, type S3Server } from '../helpers/s3';

const prefix = testPrefix('media-s3');
const cleaner = prefixCleaner(prefix);
let s3: S3Server;
let server: TestServer;
let url: string;

beforeAll(async () => {
  s3 = await startS3();
  server = await startServer({ prefix, media: openMediaStorage(s3.settings, createLogger('silent')) });
  url = server.url;
  await createBlog(url, 'bucket-blog');
});

afterAll(async () => {
  await server?.stop();
  await s3?.stop();
  await cleaner.cleanup();
});

/** What the bucket holds under a prefix, read with the service's own S3 client. */
const inBucket = (keyPrefix: string) => server.media.list(keyPrefix);

describe('pictures in S3-compatible storage', () => {
  it('are uploaded into the bucket, served from it, and taken down from it', async () => {
    const uploaded = await uploadPicture(url, 'bucket-blog', await richJpeg(1200, 900), {
      fields: { alt: 'Bridge over the Seim', caption: 'Glushkovo district' },
    });
    expect(uploaded.status).toBe(201);
    const media = uploaded.body;

    // Every file and the record are objects in the bucket, under the picture's prefix.
    const keys = await inBucket(`bucket-blog/${media.id}/`);
    expect(keys).toContain(`bucket-blog/${media.id}/meta.json`);
    expect(keys).toContain(`bucket-blog/${media.id}/${media.url.split('/').pop()}`);

    const update = await publish(url, 'bucket-blog', { body: media.markdown });
    const paths = [...new Set([...update.html.matchAll(/\/media\/bucket-blog\/[0-9a-z]{20}\/[^" ,]+/g)].map(([path]) => path))];
    expect(paths.length).toBeGreaterThanOrEqual(4);
    for (const path of paths) {
      expect(keys).toContain(path.slice('/media/'.length));
      const response = await fetch(url + path);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
      expect(metadataFound(bytes)).toEqual([]);
      // The bytes served are the bucket's, whole.
      const object = await server.media.get(path.slice('/media/'.length));
      expect((await readAll(object!.body)).equals(bytes)).toBe(true);
      const etag = response.headers.get('etag')!;
      expect((await fetch(url + path, { headers: { 'if-none-match': etag } })).status).toBe(304);
    }

    const reader = await connectReader(url);
    try {
      await reader.subscribe('bucket-blog');
      expect((await request(url, 'DELETE', `/api/blogs/bucket-blog/media/${media.id}`)).status).toBe(204);
      expect(await inBucket(`bucket-blog/${media.id}/`)).toEqual([]);
      for (const path of paths) expect((await fetch(url + path)).status).toBe(404);
      const [event] = await reader.waitForEvents(1);
      expect(event.type).toBe('update.edited');
      expect(event.update!.html).not.toContain(media.id);
      // The picture's reference left the body with it: nothing of it stays, not even a stand-in.
      expect(event.update!.body).not.toContain(media.id);
      expect(event.update!.html).not.toContain('<figure');
      const stored = await request<Update>(url, 'GET', `/api/blogs/bucket-blog/updates/${update.id}`);
      expect(stored.body.version).toBe(2);
    } finally {
      reader.close();
    }
  });
});
