/** fetch for the JSON API, turning the contract's error bodies into ApiErrors. */
import type { ErrorBody } from '../../shared/codes';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Seconds to wait before trying again, from a 429's or 503's `Retry-After`. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export interface ApiOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function api<T>(method: string, path: string, options: ApiOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  } catch {
    throw new ApiError(0, 'network', 'Could not reach the server. Check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined; // not JSON (a proxy's error page): reported below by status
  }
  if (!response.ok) {
    const error = (parsed as { error?: ErrorBody } | undefined)?.error;
    const retryAfter = Number(response.headers.get('retry-after')) || undefined;
    throw new ApiError(
      response.status,
      error?.code ?? 'http',
      error?.message ?? `The server answered ${response.status}.`,
      error?.details,
      retryAfter,
    );
  }
  return parsed as T;
}

/** One line for a person: the message, and each field's problem. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  const details = error.details ? Object.entries(error.details).map(([field, problem]) => `${field}: ${problem}`) : [];
  return [error.message, ...details].join(' — ');
}
