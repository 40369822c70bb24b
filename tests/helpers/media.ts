/**
 * An upload as a script sends it: `POST /api/blogs/:blogId/media`, multipart with `file` first, then the
 * fields (alt "A picture" unless told), the admin token unless told. For the tests of the route's
 * answers; tests of the wire itself (chunked bodies, Content-Length lies, trickles, cut-off forms) send
 * their bytes by hand.
 */
import type { MediaInfo } from '../../shared/schemas';
import { ADMIN_TOKEN } from './app';

export interface UploadOptions {
  fields?: Record<string, string>;
  filename?: string;
  type?: string;
  /** A bearer token (the admin's unless told); null: none (a cookie in `headers`, or nobody). */
  token?: string | null;
  headers?: Record<string, string>;
  /** More files after the first. */
  extraFiles?: number;
}

export interface UploadAnswer {
  status: number;
  headers: Headers;
  /** JSON when the answer is JSON, else its text. */
  body: MediaInfo & { error: { code: string; message: string; details?: Record<string, string> } };
}

/** Sends one upload; `bytes` null sends the fields without any file. */
export async function uploadPicture(
  baseUrl: string,
  blogId: string,
  bytes: Buffer | null,
  options: UploadOptions = {},
): Promise<UploadAnswer> {
  const form = new FormData();
  if (bytes) {
    for (let i = 0; i <= (options.extraFiles ?? 0); i++) {
      form.append(
        'file',
        new Blob([new Uint8Array(bytes)], { type: options.type ?? 'application/octet-stream' }),
        options.filename ?? 'photo.jpg',
      );
    }
  }
  for (const [name, value] of Object.entries(options.fields ?? { alt: 'A picture' })) form.append(name, value);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== null) headers.authorization = `Bearer ${options.token ?? ADMIN_TOKEN}`;
  const response = await fetch(`${baseUrl}/api/blogs/${blogId}/media`, { method: 'POST', body: form, headers });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as UploadAnswer['body'],
  };
}

/** An upload that must succeed (201): its answer, else an error saying what came back. */
export async function uploadedPicture(baseUrl: string, blogId: string, bytes: Buffer, options: UploadOptions = {}): Promise<MediaInfo> {
  const answer = await uploadPicture(baseUrl, blogId, bytes, options);
  if (answer.status !== 201) throw new Error(`upload: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}
