/** The contract's error shape, `{ error: { code, message, details? } }`, and how every failure maps to it. */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { z } from 'zod';
import { ERROR_CODES, type ErrorBody, type ErrorCode } from '../../shared/codes';
import { issuesToDetails } from '../../shared/schemas';
import { hideLinkSecrets, type Logger } from '../logger';
import { InvalidInput } from '../render/markdown';
import { VersionConflict } from '../service/live-blogs';
import { TimelineError, type TimelineErrorKind } from '../store/timeline';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const notFound = (what: string) => new HttpError(404, ERROR_CODES.notFound, `${what} not found`);

/** Parses `value` with `schema`, or throws a 400 whose details name each bad field. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown, what = 'request'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new HttpError(400, ERROR_CODES.invalid, `the ${what} has invalid fields`, issuesToDetails(result.error));
  }
  return result.data;
}

const TIMELINE_STATUS: Record<TimelineErrorKind, [number, ErrorCode]> = {
  blog_not_found: [404, ERROR_CODES.notFound],
  update_not_found: [404, ERROR_CODES.notFound],
  conflict: [409, ERROR_CODES.conflict],
  blog_ended: [409, ERROR_CODES.blogEnded],
  cursor_expired: [410, ERROR_CODES.cursorExpired],
  unavailable: [503, ERROR_CODES.storeUnavailable],
};

// body-parser marks its errors with a `type`; these are the client's fault, with the contract's codes.
const BODY_PARSER_ERRORS: Record<string, [number, ErrorCode, string]> = {
  'entity.parse.failed': [400, ERROR_CODES.invalidJson, 'the body is not valid JSON'],
  'entity.too.large': [413, ERROR_CODES.payloadTooLarge, 'the body is too large'],
  'encoding.unsupported': [415, ERROR_CODES.unsupportedMediaType, 'the body’s encoding is not supported'],
  'charset.unsupported': [415, ERROR_CODES.unsupportedMediaType, 'the body must be UTF-8 JSON'],
  'request.aborted': [400, ERROR_CODES.invalid, 'the request was aborted'],
  'request.size.invalid': [400, ERROR_CODES.invalid, 'the body does not match its Content-Length'],
};

export function sendError(res: Response, status: number, error: ErrorBody): void {
  res.status(status).json({ error });
}

function toHttpError(error: unknown): HttpError | null {
  if (error instanceof HttpError) return error;
  if (error instanceof InvalidInput)
    return new HttpError(400, ERROR_CODES.invalid, 'the request has invalid fields', { [error.field]: error.message });
  if (error instanceof VersionConflict)
    return new HttpError(
      412,
      ERROR_CODES.conflict,
      `the update has changed since version ${error.expected}: it is at version ${error.current.version}`,
      {
        ...error.current,
      },
    );
  if (error instanceof TimelineError) {
    const [status, code] = TIMELINE_STATUS[error.kind];
    return new HttpError(status, code, status === 503 ? 'the store is unreachable: try again shortly' : error.message);
  }
  const type = (error as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && BODY_PARSER_ERRORS[type]) {
    const [status, code, message] = BODY_PARSER_ERRORS[type];
    return new HttpError(status, code, message);
  }
  return null;
}

export function errorHandler(logger: Logger, onStoreUnavailable: () => void = () => {}): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const known = toHttpError(error);
    if (known && known.status < 500) {
      // Answered already (a request closed at its deadline by connections.ts, whose route failed after).
      if (res.headersSent) return;
      sendError(res, known.status, { code: known.code, message: known.message, ...(known.details ? { details: known.details } : {}) });
      return;
    }
    if (known?.code === ERROR_CODES.busy) {
      // At capacity (the picture queue is full): the client tries again after the route's Retry-After.
      // Nothing is wrong with the store, so no operator is paged for it.
      logger.warn({ method: req.method, url: hideLinkSecrets(req.originalUrl), reason: known.message }, 'request refused: busy');
      if (res.headersSent) return;
      res.locals.busy = true; // the access log (app.ts) says warn, not error
      if (!res.hasHeader('Retry-After')) res.setHeader('Retry-After', '5');
      sendError(res, known.status, { code: known.code, message: known.message });
      return;
    }
    logger.error(
      { err: error, method: req.method, url: hideLinkSecrets(req.originalUrl) },
      known ? 'request failed: store unavailable' : 'request failed',
    );
    if (res.headersSent) return;
    if (known) {
      if (known.status === 503) {
        onStoreUnavailable();
        if (!res.hasHeader('Retry-After')) res.setHeader('Retry-After', '2');
      }
      sendError(res, known.status, { code: known.code, message: known.message });
    } else {
      sendError(res, 500, { code: ERROR_CODES.internal, message: 'something went wrong on our side' });
    }
  };
}

export const unknownRoute: RequestHandler = (req, res) => {
  sendError(res, 404, { code: ERROR_CODES.notFound, message: `no route ${req.method} ${req.path}` });
};
