/**
 * Sending one picture to `POST /api/blogs/:blogId/media`: multipart form data over XMLHttpRequest, the
 * one browser API that reports upload progress. A person's session cookie goes with it (same origin:
 * the browser adds `Origin`, which the server's same-origin check reads); a token as a bearer header.
 * A file the server would refuse by its size or type is refused here first, in words (the server
 * checks again, from the bytes).
 */
import type { ErrorBody } from '../../shared/codes';
import { MEDIA_LIMITS } from '../../shared/media';
import type { MediaInfo } from '../../shared/schemas';
import { ApiError } from '../lib/api';
import { describeError, sentence } from './errors';
import type { Session } from './session';

/** What the desk offers to upload (the `accept` of its file inputs); the server decides from the bytes. */
export const PICTURE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif'];
/** The server's limit: a larger file is 413. */
const PICTURE_MAX_BYTES = MEDIA_LIMITS.fileBytes;

export interface PictureFields {
  alt: string;
  caption: string;
  credit: string;
}

const megabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;

/** A file's size as people say it: "340 KB", "4.2 MB". */
export const fileSize = (bytes: number) => (bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : megabytes(bytes));

/** Why the desk will not send `file`, in words; null when it may. */
export function pictureProblem(file: File): string | null {
  if (!PICTURE_TYPES.includes(file.type)) {
    const name = file.name ? `“${file.name}”` : 'That file';
    return `${name} is not a picture the desk takes: choose a JPEG, PNG, WebP, GIF or AVIF file.`;
  }
  if (file.size > PICTURE_MAX_BYTES) {
    return `${file.name ? `“${file.name}”` : 'That picture'} is ${megabytes(file.size)}; the most is ${megabytes(PICTURE_MAX_BYTES)}. Make it smaller (export it at a lower quality or size) and try again.`;
  }
  return null;
}

export interface PictureSending {
  done: Promise<MediaInfo>;
  /** Stops sending (the dialog was cancelled). The server may have received it all the same. */
  abort(): void;
}

/** Sends the picture; `progress` gets the fraction sent (0–1), then `null` once the server is processing it. */
export function sendPicture(
  session: Session,
  blogId: string,
  file: File,
  fields: PictureFields,
  progress: (sent: number | null) => void,
): PictureSending {
  const xhr = new XMLHttpRequest();
  const form = new FormData();
  // Text fields first: the server reads them before the file's bytes arrive.
  form.append('alt', fields.alt);
  if (fields.caption) form.append('caption', fields.caption);
  if (fields.credit) form.append('credit', fields.credit);
  form.append('file', file, file.name || 'picture');
  const done = new Promise<MediaInfo>((resolve, reject) => {
    xhr.open('POST', `/api/blogs/${encodeURIComponent(blogId)}/media`);
    xhr.setRequestHeader('accept', 'application/json');
    if (session.token) xhr.setRequestHeader('authorization', `Bearer ${session.token}`);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) progress(event.loaded / event.total);
    });
    xhr.upload.addEventListener('load', () => progress(null));
    xhr.addEventListener('load', () => {
      session.onReachability(xhr.status !== 502 && xhr.status !== 504);
      const parsed = parse(xhr.responseText);
      if (xhr.status === 201 || xhr.status === 200) return resolve(parsed as MediaInfo);
      const error = (parsed as { error?: ErrorBody } | undefined)?.error;
      const failure = new ApiError(
        xhr.status,
        error?.code ?? 'http',
        error?.message ?? `The server answered ${xhr.status}.`,
        error?.details,
        Number(xhr.getResponseHeader('retry-after')) || undefined,
      );
      if (xhr.status === 401) session.signedOut();
      reject(failure);
    });
    xhr.addEventListener('error', () => {
      session.onReachability(false);
      reject(new ApiError(0, 'network', 'Could not reach the server. Check your connection and try again.'));
    });
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.')));
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

function parse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined; // not JSON (a proxy's error page): said by status
  }
}

/** Why an upload failed, in the desk's words. */
export function uploadProblem(error: unknown): string {
  if (!(error instanceof ApiError)) return describeError(error);
  const wait = error.retryAfter ? `in about ${error.retryAfter} second${error.retryAfter === 1 ? '' : 's'}` : 'in a moment';
  switch (error.status) {
    case 413:
      return `The picture is too large for the server (the most is ${megabytes(PICTURE_MAX_BYTES)} and ${MEDIA_LIMITS.pixels / 1_000_000} megapixels): make it smaller and try again.`;
    case 415:
      return 'The server does not take this file as a picture (JPEG, PNG, WebP, GIF or AVIF, judged by its content, not its name): choose another file.';
    case 403:
      return 'You may not add pictures to this blog.';
    case 401:
      return 'You are not signed in any more: sign in again, then add the picture.';
    case 503:
      return `The server is busy with other pictures: try again ${wait}. Nothing was stored.`;
    case 400:
      // A field's problem names the field; a picture the server cannot read says why.
      if (!error.details) return sentence(error.message);
  }
  return describeError(error);
}
