/**
 * Rendered pages, feeds and widget views, kept in memory until an event of their blog says they are
 * stale, so a spike of page loads costs one Redis read per change, not one per load. Concurrent misses
 * for one key share a single render. `ETag` answers a browser's revalidation with 304; `Cache-Control`
 * lets a CDN hold a copy for a few seconds.
 */
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { LRUCache } from 'lru-cache';

export interface Rendered {
  body: string;
  type: string;
}

interface Entry {
  /** Encoded once, sent as is to every reader. */
  body: Buffer;
  contentType: string;
  etag: string;
  blogId: string;
  /** The body compressed, each encoding once, when a reader first asks for it. */
  compressed: Partial<Record<Encoding, Buffer>>;
}

const ENCODINGS = ['br', 'gzip'] as const;
type Encoding = (typeof ENCODINGS)[number];

/** Brotli at 5 compresses a page about as fast as gzip at 6 and a fifth smaller; the result is kept. */
const COMPRESSORS: Record<Encoding, (body: Buffer) => Buffer> = {
  br: (body) =>
    brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }),
  gzip: (body) => gzipSync(body, { level: 6 }),
};

export interface PageCacheOptions {
  /** Entries kept at most; the oldest go first. @default 2000 */
  maxEntries: number;
  /** A safety net: an entry is re-rendered after this even without an event. @default 60 000 */
  ttlMs: number;
}

/** Browsers revalidate every time (cheap, with the ETag); shared caches may serve a copy for 5 s. */
export const PUBLIC_CACHE_CONTROL = 'public, max-age=0, s-maxage=5, stale-while-revalidate=10';

/** The blog id index pages are filed under: any blog's change may show there. */
export const INDEX = '*';

/**
 * The entries live in lru-cache (bounded, least recently used first out, expiring). Renders in flight
 * are coalesced here rather than with lru-cache's fetch(): a blog that changes during a render must
 * have that render served to whoever waits for it but not kept, and fetch() on invalidation either
 * keeps the stale result (`ignoreFetchAbort`) or fails the waiting requests.
 */
export class PageCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly rendering = new Map<string, Promise<Entry>>();
  private readonly generation = new Map<string, number>();

  constructor(
    private readonly options: PageCacheOptions = { maxEntries: 2000, ttlMs: 60_000 },
    private readonly onLookup: (hit: boolean) => void = () => {},
  ) {
    this.entries = new LRUCache({ max: options.maxEntries, ttl: options.ttlMs });
  }

  /** `key` must start with `<kind>:<blogId>:`, so that invalidation finds renders in flight. */
  async get(key: string, blogId: string, render: () => Promise<Rendered>): Promise<Entry> {
    const cached = this.entries.get(key);
    if (cached) {
      this.onLookup(true);
      return cached;
    }
    const pending = this.rendering.get(key);
    if (pending) return pending;
    this.onLookup(false);
    // If the blog changes while we render, the result is already stale: it is served but not kept.
    const generation = this.generation.get(blogId) ?? 0;
    const work = render()
      .then((rendered) => {
        const entry = renderedEntry(blogId, rendered);
        if ((this.generation.get(blogId) ?? 0) === generation) this.entries.set(key, entry);
        return entry;
      })
      .finally(() => {
        if (this.rendering.get(key) === work) this.rendering.delete(key);
      });
    this.rendering.set(key, work);
    return work;
  }

  /** Drops everything rendered from `blogId`, and the index pages. */
  invalidate(blogId: string): void {
    for (const id of [blogId, INDEX]) this.generation.set(id, (this.generation.get(id) ?? 0) + 1);
    const stale = [...this.entries.entries()].filter(([, entry]) => entry.blogId === blogId || entry.blogId === INDEX).map(([key]) => key);
    for (const key of stale) this.entries.delete(key);
    for (const key of this.rendering.keys()) if (key.includes(`:${blogId}:`)) this.rendering.delete(key);
  }

  /** Drops everything (changes may have gone unannounced). */
  invalidateAll(): void {
    for (const blogId of new Set([...this.entries.values()].map((entry) => entry.blogId))) this.invalidate(blogId);
  }
}

/** A render as the cache would keep it (encoded once, with its ETag), also for one that is not kept. */
export function renderedEntry(blogId: string, rendered: Rendered): Entry {
  const body = Buffer.from(rendered.body);
  return {
    body,
    contentType: CONTENT_TYPES[rendered.type] ?? rendered.type,
    blogId,
    etag: `"${createHash('sha1').update(body).digest('base64url')}"`,
    compressed: {},
  };
}

const CONTENT_TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', json: 'application/json; charset=utf-8' };

/**
 * Sends a cached entry as it is, compressed the way the browser prefers (each encoding made once per
 * entry), or 304 when the browser has it. Each encoding is its own representation, with its own ETag.
 */
export function sendCached(req: Request, res: Response, entry: Entry, cacheControl = PUBLIC_CACHE_CONTROL): void {
  res.vary('Accept-Encoding');
  // Brotli whenever the client takes it (browsers list gzip first, at the same weight).
  const accepted = req.acceptsEncodings();
  const encoding = ENCODINGS.find((candidate) => accepted.includes(candidate));
  const etag = encoding ? `${entry.etag.slice(0, -1)}-${encoding}"` : entry.etag;
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', cacheControl);
  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const body = encoding ? (entry.compressed[encoding] ??= COMPRESSORS[encoding](entry.body)) : entry.body;
  if (encoding) res.setHeader('Content-Encoding', encoding);
  res.setHeader('Content-Type', entry.contentType);
  res.setHeader('Content-Length', body.length);
  res.end(req.method === 'HEAD' ? undefined : body);
}
