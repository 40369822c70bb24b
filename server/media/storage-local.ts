/**
 * Media storage in a folder on this machine (the default; LIVEBLOG_MEDIA_DIR). One process, or several on
 * one machine sharing the folder; for several machines use S3 (storage-s3.ts).
 *
 * A write goes to a temporary file beside its target and is renamed over it: rename is atomic within one
 * file system, so a reader sees the old file or the new one, never half of one. (No fsync: a crash may lose
 * the newest upload, which its uploader sees fail; it never leaves a torn file in place.)
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MediaStorage, StoredObject } from './storage';
import { VARIANT_CONTENT_TYPES, VARIANT_EXTENSIONS, type VariantFormat } from './types';

/**
 * A key: segments of letters, digits, `.`, `_` and `-` joined by `/`, none starting with a dot. So no key
 * can be absolute, hold `..` or a backslash, or name a hidden file (temporary files start with a dot).
 */
const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;
/** A prefix: a key, a key and `/`, or nothing (everything). */
const PREFIX = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\/?)?$/;

export function assertStorageKey(key: string): void {
  if (key.length > 1024 || !KEY.test(key)) throw new Error(`invalid media storage key: ${JSON.stringify(key)}`);
}

export function assertStoragePrefix(prefix: string): void {
  if (prefix.length > 1024 || !PREFIX.test(prefix)) throw new Error(`invalid media storage prefix: ${JSON.stringify(prefix)}`);
}

/** Content types by extension: the folder keeps no metadata, and every key the service writes has one of these. */
const CONTENT_TYPES: Record<string, string> = {
  ...Object.fromEntries(
    (Object.keys(VARIANT_EXTENSIONS) as VariantFormat[]).map((format) => [`.${VARIANT_EXTENSIONS[format]}`, VARIANT_CONTENT_TYPES[format]]),
  ),
  '.json': 'application/json',
};

export class LocalMediaStorage implements MediaStorage {
  private readonly root: string;

  constructor(dir: string) {
    this.root = path.resolve(dir);
  }

  /** The file's path; checked twice (the key's shape, then the resolved path) so nothing escapes the folder. */
  private pathOf(key: string): string {
    assertStorageKey(key);
    const file = path.resolve(this.root, key);
    if (!file.startsWith(this.root + path.sep)) throw new Error(`media storage key escapes the folder: ${JSON.stringify(key)}`);
    return file;
  }

  async put(key: string, body: Buffer, _contentType: string): Promise<void> {
    const file = this.pathOf(key);
    const temp = path.join(path.dirname(file), `.tmp-${randomBytes(8).toString('hex')}`);
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(temp, body, { flag: 'wx' }).catch(async (error: unknown) => {
        // A takedown in the same blog may have removed the (then empty) folder between mkdir and here.
        if (!isMissing(error)) throw error;
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(temp, body, { flag: 'wx' });
      });
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  async get(key: string): Promise<StoredObject | null> {
    const file = this.pathOf(key);
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    // Size from the open file itself, so a rename over the path after this point cannot make them disagree.
    const info = await handle.stat().catch(async (error: unknown) => {
      await handle.close();
      throw error;
    });
    if (!info.isFile()) {
      await handle.close();
      return null;
    }
    // The stream owns the handle: it closes it at the end, on an error, or when the caller destroys it.
    const body = handle.createReadStream();
    return { body, size: info.size, contentType: contentTypeOf(key) };
  }

  async head(key: string): Promise<Omit<StoredObject, 'body'> | null> {
    const file = this.pathOf(key);
    try {
      const info = await stat(file);
      return info.isFile() ? { size: info.size, contentType: contentTypeOf(key) } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertStoragePrefix(prefix);
    // Walk from the deepest folder the prefix names, then keep the keys that start with the prefix.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const keys: string[] = [];
    const walk = async (relative: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(path.join(this.root, relative), { withFileTypes: true });
      } catch (error) {
        if (isMissing(error)) return;
        throw error;
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue; // temporary files of writes in progress
        const key = relative ? `${relative}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(key);
        } else if (entry.isFile() && key.startsWith(prefix)) {
          keys.push(key);
        }
      }
    };
    await walk(folder);
    return keys.sort();
  }

  async delete(keys: string[]): Promise<void> {
    const files = keys.map((key) => this.pathOf(key));
    await Promise.all(files.map((file) => rm(file, { force: true })));
    // Emptied folders go too (a taken-down picture leaves no trace); a folder still in use stays.
    const folders = [...new Set(files.map((file) => path.dirname(file)))].sort((a, b) => b.length - a.length);
    for (const folder of folders) await this.removeEmptyFolders(folder);
  }

  private async removeEmptyFolders(folder: string): Promise<void> {
    for (let current = folder; current.startsWith(this.root + path.sep); current = path.dirname(current)) {
      try {
        await rmdir(current);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Not empty (another picture, or a write in progress) or already gone: nothing more to tidy.
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
        throw error;
      }
    }
  }

  describe(): string {
    return `folder ${this.root}`;
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }
}

function contentTypeOf(key: string): string {
  return CONTENT_TYPES[path.extname(key).toLowerCase()] ?? 'application/octet-stream';
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
