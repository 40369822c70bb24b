/**
 * Pictures as records and files in the media storage, the single truth for media (no Redis keys):
 * `<blogId>/<mediaId>/meta.json` beside `<blogId>/<mediaId>/<name>` for each file.
 *
 * Order matters because there is no transaction: save writes the files first and the record last, so a
 * record never names a missing file; remove deletes the record first, so a picture half-removed is already
 * gone for readers (lookup finds no record) and only unreachable files remain to be deleted.
 */
import { randomBytes } from 'node:crypto';
import { BLOG_ID_PATTERN } from '../../shared/schemas';
import type { ProcessedFile } from './process';
import { readAll, type MediaStorage, type StoredObject } from './storage';
import { MEDIA_FILE_NAME, MEDIA_ID, type MediaRecord, mediaKeys, VARIANT_CONTENT_TYPES } from './types';

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** 20 characters of [0-9a-z] (about 103 bits), unguessable: a picture's URL is public once used, not before. */
export function newMediaId(): string {
  let id = '';
  while (id.length < 20) {
    for (const byte of randomBytes(32)) {
      // 252 = 7 × 36: bytes above it are skipped, so every character is equally likely.
      if (byte < 252 && id.length < 20) id += ID_ALPHABET[byte % 36];
    }
  }
  return id;
}

/** Records read at once by list(): enough to hide S3's latency, few enough not to flood it. */
const LIST_READS_AT_ONCE = 8;

export class MediaCatalog {
  constructor(private readonly storage: MediaStorage) {}

  async save(record: MediaRecord, files: ProcessedFile[]): Promise<void> {
    if (!validIds(record.blogId, record.id)) throw new Error(`invalid media record ids: ${record.blogId}/${record.id}`);
    const written: string[] = [];
    try {
      for (const file of files) {
        if (!MEDIA_FILE_NAME.test(file.name)) throw new Error(`invalid media file name: ${file.name}`);
        const key = mediaKeys.file(record.blogId, record.id, file.name);
        written.push(key);
        await this.storage.put(key, file.body, VARIANT_CONTENT_TYPES[file.format]);
      }
      await this.storage.put(mediaKeys.record(record.blogId, record.id), Buffer.from(JSON.stringify(record)), 'application/json');
    } catch (error) {
      // No record was written, so nothing can reach these files: remove them rather than leave them
      // behind, then report the first failure (the clean-up's own failure is attached, not lost).
      await this.storage.delete(written).catch((cleanup: unknown) => {
        (error as Error & { cleanup?: unknown }).cleanup = cleanup;
      });
      throw error;
    }
  }

  async get(blogId: string, mediaId: string): Promise<MediaRecord | null> {
    if (!validIds(blogId, mediaId)) return null;
    const key = mediaKeys.record(blogId, mediaId);
    const object = await this.storage.get(key);
    if (!object) return null;
    const text = (await readAll(object.body)).toString('utf8');
    try {
      return JSON.parse(text) as MediaRecord;
    } catch (error) {
      throw new Error(`media record ${key} is not JSON: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The blog's pictures, newest first. */
  async list(blogId: string): Promise<MediaRecord[]> {
    if (!BLOG_ID_PATTERN.test(blogId)) return [];
    const keys = await this.storage.list(mediaKeys.blog(blogId));
    const ids = keys
      .map((key) => key.slice(blogId.length + 1).split('/'))
      .filter((parts) => parts.length === 2 && parts[1] === 'meta.json' && MEDIA_ID.test(parts[0]))
      .map(([id]) => id);
    const records: MediaRecord[] = [];
    for (let i = 0; i < ids.length; i += LIST_READS_AT_ONCE) {
      const batch = await Promise.all(ids.slice(i, i + LIST_READS_AT_ONCE).map((id) => this.get(blogId, id)));
      // A record removed between the listing and its read is simply no longer there.
      for (const record of batch) if (record) records.push(record);
    }
    return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
  }

  /** Removes the picture's record, then every file under its prefix (including any a failed save left). */
  async remove(blogId: string, mediaId: string): Promise<MediaRecord | null> {
    if (!validIds(blogId, mediaId)) return null;
    const record = await this.get(blogId, mediaId);
    await this.storage.delete([mediaKeys.record(blogId, mediaId)]);
    const rest = await this.storage.list(mediaKeys.prefix(blogId, mediaId));
    if (rest.length) await this.storage.delete(rest);
    return record;
  }

  /** A stored file by its public name; meta.json and anything else not named like a file is never returned. */
  async file(blogId: string, mediaId: string, name: string): Promise<StoredObject | null> {
    if (!validIds(blogId, mediaId) || !MEDIA_FILE_NAME.test(name)) return null;
    return this.storage.get(mediaKeys.file(blogId, mediaId, name));
  }

  async fileHead(blogId: string, mediaId: string, name: string): Promise<Omit<StoredObject, 'body'> | null> {
    if (!validIds(blogId, mediaId) || !MEDIA_FILE_NAME.test(name)) return null;
    return this.storage.head(mediaKeys.file(blogId, mediaId, name));
  }
}

function validIds(blogId: string, mediaId: string): boolean {
  return BLOG_ID_PATTERN.test(blogId) && MEDIA_ID.test(mediaId);
}
