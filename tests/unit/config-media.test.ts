import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { loadConfig } from '../../server/config';

describe('media settings', () => {
  it('default to a folder under the working directory', () => {
    expect(loadConfig({}).media).toEqual({ kind: 'local', dir: path.resolve('data/media') });
    expect(loadConfig({ LIVEBLOG_MEDIA_DIR: ' /srv/pictures ' }).media).toEqual({ kind: 'local', dir: '/srv/pictures' });
  });

  it('switch to S3 when a bucket is named, path style when an endpoint is set', () => {
    expect(loadConfig({ LIVEBLOG_MEDIA_S3_BUCKET: 'news-media' }).media).toEqual({
      kind: 's3',
      bucket: 'news-media',
      region: 'us-east-1',
      forcePathStyle: false,
    });
    expect(
      loadConfig({
        LIVEBLOG_MEDIA_S3_BUCKET: 'news-media',
        LIVEBLOG_MEDIA_S3_ENDPOINT: 'https://minio.internal:9000/',
        LIVEBLOG_MEDIA_S3_REGION: 'auto',
        LIVEBLOG_MEDIA_S3_ACCESS_KEY_ID: 'key-id',
        LIVEBLOG_MEDIA_S3_SECRET_ACCESS_KEY: 'secret',
        LIVEBLOG_MEDIA_S3_PREFIX: 'liveblog/',
      }).media,
    ).toEqual({
      kind: 's3',
      bucket: 'news-media',
      endpoint: 'https://minio.internal:9000',
      region: 'auto',
      accessKeyId: 'key-id',
      secretAccessKey: 'secret',
      forcePathStyle: true,
      prefix: 'liveblog/',
    });
    expect(
      loadConfig({
        LIVEBLOG_MEDIA_S3_BUCKET: 'b-1',
        LIVEBLOG_MEDIA_S3_ENDPOINT: 'http://r2.example',
        LIVEBLOG_MEDIA_S3_FORCE_PATH_STYLE: 'false',
      }).media,
    ).toMatchObject({ forcePathStyle: false });
  });

  it.each([
    [{ LIVEBLOG_MEDIA_S3_ENDPOINT: 'http://s3.local' }, /LIVEBLOG_MEDIA_S3_ENDPOINT is set, but LIVEBLOG_MEDIA_S3_BUCKET is not/],
    [{ LIVEBLOG_MEDIA_S3_BUCKET: 'b-1', LIVEBLOG_MEDIA_DIR: '/srv/p' }, /both set/],
    [{ LIVEBLOG_MEDIA_S3_BUCKET: 'b-1', LIVEBLOG_MEDIA_S3_ACCESS_KEY_ID: 'id' }, /go together/],
    [{ LIVEBLOG_MEDIA_S3_BUCKET: 'No_Such' }, /^LIVEBLOG_MEDIA_S3_BUCKET must be a bucket name/],
    [
      { LIVEBLOG_MEDIA_S3_BUCKET: 'b-1', LIVEBLOG_MEDIA_S3_FORCE_PATH_STYLE: 'yes' },
      /^LIVEBLOG_MEDIA_S3_FORCE_PATH_STYLE must be true or false/,
    ],
    [{ LIVEBLOG_MEDIA_S3_BUCKET: 'b-1', LIVEBLOG_MEDIA_S3_PREFIX: '../up' }, /^LIVEBLOG_MEDIA_S3_PREFIX must be a key prefix/],
  ])('refuse %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never echo a secret written into the endpoint URL', () => {
    let message = '';
    try {
      loadConfig({ LIVEBLOG_MEDIA_S3_BUCKET: 'b-1', LIVEBLOG_MEDIA_S3_ENDPOINT: 'https://id:top-secret@s3.example.com' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^LIVEBLOG_MEDIA_S3_ENDPOINT must be an http\(s\) URL .* without credentials/);
    expect(message).not.toContain('top-secret');
  });
});
