/**
 * Media storage in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, …; tests use s3rver), shared by
 * every process on every machine. Keys are the same as in the folder (storage-local.ts checks their shape
 * for both), under an optional prefix so one bucket can serve several services.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import type { MediaStorage, StoredObject } from './storage';
import { assertStorageKey, assertStoragePrefix } from './storage-local';

export interface S3StorageSettings {
  bucket: string;
  /** Unset for AWS itself; MinIO, R2 or s3rver's URL otherwise. */
  endpoint?: string;
  region: string;
  /** Both or neither; neither → the SDK's default credential chain (environment, profile, instance role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `bucket` in the path rather than the host name (MinIO and s3rver need it). */
  forcePathStyle: boolean;
  /** Prepended to every key, e.g. `liveblog/`. */
  prefix?: string;
}

/** DeleteObjects takes at most 1000 keys a request (S3's own limit). */
const DELETE_BATCH = 1000;

/** Files are named by a hash of their bytes, so they never change: caches may keep them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

export class S3MediaStorage implements MediaStorage {
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly settings: S3StorageSettings) {
    if (settings.prefix) assertStoragePrefix(settings.prefix);
    this.prefix = settings.prefix ? settings.prefix.replace(/\/?$/, '/') : '';
    this.client = new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      ...(settings.accessKeyId && settings.secretAccessKey
        ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } }
        : {}),
      // The SDK's default (a CRC32 on every request and response, sent as aws-chunked trailers) is not
      // understood by every S3-compatible server: s3rver stored such bodies with the chunk framing in them.
      // 'WHEN_REQUIRED' keeps checksums where S3 demands one (DeleteObjects) and works with AWS, MinIO, R2.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private keyOf(key: string): string {
    assertStorageKey(key);
    return this.prefix + key;
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.keyOf(key),
        Body: body,
        ContentLength: body.length,
        ContentType: contentType,
        CacheControl: key.endsWith('/meta.json') ? 'no-store' : IMMUTABLE,
      }),
    );
  }

  async get(key: string): Promise<StoredObject | null> {
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(key) }));
      if (!(answer.Body instanceof Readable)) throw new Error('S3 answered GetObject without a readable body');
      return {
        body: answer.Body,
        size: answer.ContentLength ?? 0,
        contentType: answer.ContentType ?? 'application/octet-stream',
      };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async head(key: string): Promise<Omit<StoredObject, 'body'> | null> {
    try {
      const answer = await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.keyOf(key) }));
      return { size: answer.ContentLength ?? 0, contentType: answer.ContentType ?? 'application/octet-stream' };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertStoragePrefix(prefix);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: this.prefix + prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key.slice(this.prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async delete(keys: string[]): Promise<void> {
    const objects = keys.map((key) => ({ Key: this.keyOf(key) }));
    for (let i = 0; i < objects.length; i += DELETE_BATCH) {
      const answer = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.settings.bucket,
          Delete: { Objects: objects.slice(i, i + DELETE_BATCH), Quiet: true },
        }),
      );
      // DeleteObjects answers 200 even when some keys failed: those are listed in Errors.
      const failed = (answer.Errors ?? []).filter((error) => error.Code !== 'NoSuchKey');
      if (failed.length) {
        throw new Error(
          `S3 could not delete ${failed.length} object(s), first ${failed[0].Key}: ${failed[0].Code} ${failed[0].Message ?? ''}`,
        );
      }
    }
  }

  describe(): string {
    // The origin only: an endpoint written as https://user:secret@host must not put the secret in a log.
    const where = this.settings.endpoint ? new URL(this.settings.endpoint).origin : `AWS ${this.settings.region}`;
    return `S3 bucket ${this.settings.bucket}${this.prefix ? ` (keys under ${this.prefix})` : ''} at ${where}`;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/** GetObject says NoSuchKey; HeadObject, having no body to say it in, answers 404 (NotFound). */
function isMissing(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  // Not any 404: a missing bucket (NoSuchBucket) is a misconfiguration to report, not a missing picture.
  return error.name === 'NoSuchKey' || error.name === 'NotFound';
}
