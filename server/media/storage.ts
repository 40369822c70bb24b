/**
 * Where pictures' files and records are kept: a folder on this machine (the default), or S3-compatible
 * object storage shared by every process (storage-s3.ts). Both answer this one interface, and the same
 * contract test runs against both.
 */
import type { Readable } from 'node:stream';

export interface StoredObject {
  body: Readable;
  size: number;
  contentType: string;
}

export interface MediaStorage {
  /** Writes `body` under `key`, replacing what was there. */
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** The object, or null when there is none. The caller must consume or destroy `body`. */
  get(key: string): Promise<StoredObject | null>;
  /** The object's size and type without its bytes, or null when there is none. */
  head(key: string): Promise<Omit<StoredObject, 'body'> | null>;
  /** Every key starting with `prefix`. */
  list(prefix: string): Promise<string[]>;
  /** Removes the keys; absent ones are no error. */
  delete(keys: string[]): Promise<void>;
  /** For logs and the start-up line: the folder, or the bucket and endpoint (never a secret). */
  describe(): string;
  close(): Promise<void>;
}

/** A stream's bytes, read to its end (a stored object's `body`, for one). */
export async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
