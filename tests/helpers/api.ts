/** A small client for the HTTP API, as an editor's tool would call it. */
import type { ErrorBody } from '../../shared/codes';
import type { Blog, Update } from '../../shared/schemas';
import { ADMIN_TOKEN } from './app';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** What an error answer looks like; success answers are typed by the caller. */
export type ErrorAnswer = { error: ErrorBody };

/**
 * No request of a test waits longer for its answer: a service that never answers fails the test with the
 * request named (fetch alone would wait five minutes, and the case would end in Jest's bare timeout).
 */
export const REQUEST_DEADLINE_MS = 30_000;

export async function request<T = ErrorAnswer>(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const started = Date.now();
  let response: Response;
  let text: string;
  try {
    response = await fetch(baseUrl + path, { method, headers, body, signal: AbortSignal.timeout(REQUEST_DEADLINE_MS) });
    text = await response.text();
  } catch (error) {
    const late = error instanceof DOMException && error.name === 'TimeoutError';
    if (late) throw new Error(`${method} ${path}: no answer in ${REQUEST_DEADLINE_MS} ms`);
    throw new Error(`${method} ${path} failed after ${Date.now() - started} ms: ${String(error)}`, { cause: error });
  }
  let parsed: unknown = text;
  if (response.headers.get('content-type')?.includes('json') && text) parsed = JSON.parse(text);
  return { status: response.status, body: parsed as T, headers: response.headers };
}

export async function createBlog(baseUrl: string, id: string, title = `Blog ${id}`): Promise<Blog> {
  const response = await request<Blog>(baseUrl, 'POST', '/api/blogs', { body: { id, title } });
  if (response.status !== 201) throw new Error(`create blog: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function publish(
  baseUrl: string,
  blogId: string,
  fields: Record<string, unknown>,
  headers?: Record<string, string>,
): Promise<Update> {
  const response = await request<Update>(baseUrl, 'POST', `/api/blogs/${blogId}/updates`, { body: fields, headers });
  if (response.status !== 201) throw new Error(`publish: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/**
 * Publishes as the desk does under load: a 503 (the store did not answer in time, on a machine busy with
 * a burst) is sent again, a little later, with the same Idempotency-Key, so the update is stored once.
 */
export async function publishRetrying(
  baseUrl: string,
  blogId: string,
  fields: Record<string, unknown>,
  { attempts = 5 } = {},
): Promise<Update> {
  const headers = { 'idempotency-key': `retrying-${Math.random().toString(36).slice(2)}` };
  for (let attempt = 1; ; attempt++) {
    const response = await request<Update>(baseUrl, 'POST', `/api/blogs/${blogId}/updates`, { body: fields, headers });
    if (response.status === 201) return response.body;
    if (response.status !== 503 || attempt === attempts) throw new Error(`publish: ${response.status} ${JSON.stringify(response.body)}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 1_000)));
  }
}
