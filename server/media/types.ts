/**
 * Uploaded pictures: what is kept of each (a record beside its files, in the media storage), where its
 * files live, and the names everything else agrees on. The files are only ever re-encoded variants:
 * the uploaded bytes are never stored or served.
 */

/** The formats an upload may be, decided from its bytes (sharp's `metadata().format`, AVIF as `heif`+av1). */
export type UploadFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif';

/** The formats stored: AVIF and WebP for every browser that takes them, JPEG (or PNG when the picture has transparency) for the rest. */
export type VariantFormat = 'avif' | 'webp' | 'jpeg' | 'png';

export const VARIANT_CONTENT_TYPES: Record<VariantFormat, string> = {
  avif: 'image/avif',
  webp: 'image/webp',
  jpeg: 'image/jpeg',
  png: 'image/png',
};

export const VARIANT_EXTENSIONS: Record<VariantFormat, string> = { avif: 'avif', webp: 'webp', jpeg: 'jpg', png: 'png' };

/** Widths of the `srcset` variants; a picture narrower than one gets its own width instead of being enlarged. */
export const VARIANT_WIDTHS = [480, 960, 1600] as const;

/** The longest edge of the full-size picture a tap opens. */
export const FULL_SIZE_MAX_EDGE = 2560;

/** One stored file. Its `name` holds a hash of its bytes, so its URL never changes meaning (immutable caching). */
export interface MediaFile {
  /** `<width>-<hash>.<ext>` for srcset variants, `full-<hash>.<ext>` for the full-size one. */
  name: string;
  format: VariantFormat;
  width: number;
  height: number;
  bytes: number;
}

/** What is kept of an upload: stored as `<blogId>/<id>/meta.json` beside its files. */
export interface MediaRecord {
  id: string;
  blogId: string;
  /** Of the largest srcset variant: the `width`/`height` the page reserves (no layout shift). */
  width: number;
  height: number;
  alt: string;
  caption?: string;
  credit?: string;
  /** JPEG, or PNG for a picture with transparency: the fallback every browser shows. */
  fallback: 'jpeg' | 'png';
  /** srcset variants in every format, narrowest first within each format. */
  variants: MediaFile[];
  /** The full-size picture (fallback format, longest edge at most FULL_SIZE_MAX_EDGE). */
  full: MediaFile;
  /** What was uploaded, as decided from its bytes. */
  source: { format: UploadFormat; width: number; height: number; bytes: number };
  createdAt: string;
  /** principalId of the uploader (`person:<id>`, `token:<id>`, `admin`): never shown to readers. */
  uploadedBy: string;
}

/** A media id: 20 characters of [0-9a-z], random (two uploads of one file are two pictures, each with its own alt text). */
export const MEDIA_ID = /^[0-9a-z]{20}$/;

/** `/media/<blogId>/<mediaId>`: how an update's Markdown names a picture, and the prefix of its files' URLs. */
export const MEDIA_PATH = /^\/media\/([a-z0-9][a-z0-9-]{0,63})\/([0-9a-z]{20})$/;

/** Every reference to a picture in a body (a superset: the renderer decides what each really is). */
export const MEDIA_REFERENCE = /\/media\/([a-z0-9][a-z0-9-]{0,63})\/([0-9a-z]{20})/g;

/** A stored file's name, as a URL's last segment (meta.json is never served). */
export const MEDIA_FILE_NAME = /^(?:\d{1,5}|full)-[0-9a-f]{16}\.(?:avif|webp|jpg|png)$/;

export function mediaPath(blogId: string, mediaId: string): string {
  return `/media/${blogId}/${mediaId}`;
}

export function fileUrl(record: Pick<MediaRecord, 'blogId' | 'id'>, file: Pick<MediaFile, 'name'>): string {
  return `${mediaPath(record.blogId, record.id)}/${file.name}`;
}

/** Storage keys: everything of one picture under one prefix, so that a takedown removes it whole. */
export const mediaKeys = {
  prefix: (blogId: string, mediaId: string) => `${blogId}/${mediaId}/`,
  record: (blogId: string, mediaId: string) => `${blogId}/${mediaId}/meta.json`,
  file: (blogId: string, mediaId: string, name: string) => `${blogId}/${mediaId}/${name}`,
  blog: (blogId: string) => `${blogId}/`,
};

/** Limits of an upload: shared with the desk, which says them before sending. */
export { MEDIA_LIMITS } from '../../shared/media';
