/** Error codes in `{ error: { code } }` bodies and in socket acks. */
export const ERROR_CODES = {
  invalid: 'invalid',
  invalidJson: 'invalid_json',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  notFound: 'not_found',
  conflict: 'conflict',
  blogEnded: 'blog_ended',
  payloadTooLarge: 'payload_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  rateLimited: 'rate_limited',
  storeUnavailable: 'store_unavailable',
  /** 503 with the route's Retry-After: this process is at capacity for the work (the picture queue is full); the store is fine. */
  busy: 'busy',
  /** 408: the request's body did not arrive in time (the connection is closed). */
  requestTimeout: 'request_timeout',
  cursorExpired: 'cursor_expired',
  internal: 'internal',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Each bad field and what is wrong with it; on a 412 `conflict`, the update as it is now. */
  details?: Record<string, unknown>;
}
