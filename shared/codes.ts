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
