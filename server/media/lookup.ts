/**
 * The pictures an update's body names, read before it is rendered: the renderer (render/markdown.ts) is
 * synchronous and runs inside the store's read-modify-write, so every record it may need is fetched
 * first, in parallel, and handed to it as a plain lookup.
 */
import { MEDIA_REFERENCE, type MediaRecord } from './types';

/** A blog's picture by its media id; undefined when it is unknown or taken down. */
export type MediaLookup = (mediaId: string) => MediaRecord | undefined;

/** What the lookup reads records from (the MediaCatalog, catalog.ts). */
export interface MediaRecords {
  get(blogId: string, mediaId: string): Promise<MediaRecord | null>;
}

/** No pictures at all: every media reference renders as "Picture not available". */
export const NO_MEDIA: MediaLookup = () => undefined;

/** Records read at once: a body of 20 000 characters could name several hundred. */
const PARALLEL_READS = 16;

/** The distinct media ids of `blogId` that `body` names (another blog's are never looked up). */
export function mediaIdsIn(blogId: string, body: string): string[] {
  const ids = new Set<string>();
  for (const [, blog, mediaId] of body.matchAll(MEDIA_REFERENCE)) if (blog === blogId) ids.add(mediaId);
  return [...ids];
}

/** The records of the pictures `body` names in `blogId`, read in parallel; none without a catalog. */
export async function loadMedia(catalog: MediaRecords | undefined, blogId: string, body: string): Promise<MediaLookup> {
  const ids = catalog ? mediaIdsIn(blogId, body) : [];
  if (!catalog || ids.length === 0) return NO_MEDIA;
  const records = new Map<string, MediaRecord>();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const mediaId = ids[next++];
      const record = await catalog.get(blogId, mediaId);
      if (record && record.blogId === blogId && record.id === mediaId) records.set(mediaId, record);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, ids.length) }, worker));
  return (mediaId) => records.get(mediaId);
}
