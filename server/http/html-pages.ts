/**
 * Routes that a browser opens or posts a form to (the one-time links' pages, single sign-on) answer
 * with a page whatever happens, never with the API's JSON: a form too large or unreadable (the body
 * parser's 413, 415 or 400), the store unreachable (503) or a bug (500) each get a card that says so.
 * A failure is logged by name and message only: a store's error may carry the command it failed, and
 * with it a link's secret or a sign-in's state.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { hideLinkSecrets, type Logger } from '../logger';
import { TimelineError } from '../store/timeline';

export interface Problem {
  heading: string;
  text: string;
}

/** What a browser is told when its request failed for a reason of the request's own or of the service. */
const PROBLEMS: Record<number, Problem> = {
  400: { heading: 'The form could not be read', text: 'Nothing was changed. Go back to the page and send the form again.' },
  413: {
    heading: 'The form is too large',
    text: 'What was sent is longer than this form takes. Nothing was changed: go back and send it again.',
  },
  415: {
    heading: 'The form could not be read',
    text: 'It was not sent in a way this page takes. Nothing was changed: go back and send it again.',
  },
  500: { heading: 'Something went wrong on our side', text: 'The request did not finish. Try again in a moment.' },
  503: { heading: 'This service is briefly unavailable', text: 'The request did not finish. Try again in a moment.' },
};

/** The status a failure deserves: the body parser's own (a 4xx, with a `type`), 503 for the store, else 500. */
function statusOf(error: unknown): number {
  const { type, status } = (error ?? {}) as { type?: unknown; status?: unknown };
  // More fields than any of these forms has (the parser's parameterLimit): not a form of ours, so 400.
  if (type === 'parameters.too.many') return 400;
  if (typeof type === 'string' && typeof status === 'number' && status >= 400 && status < 500) return status in PROBLEMS ? status : 400;
  if (error instanceof TimelineError && error.kind === 'unavailable') return 503;
  return 500;
}

export interface HtmlPageRoutes {
  /** Sends a page with the routes' headers (and no caching). */
  send(res: Response, status: number, html: string): void;
  /** A handler, after an optional body parser, whose every failure is answered with a page. */
  route(handler: (req: Request, res: Response) => Promise<unknown>, options?: { body?: RequestHandler }): RequestHandler;
}

export function htmlPageRoutes(deps: {
  logger: Logger;
  /** Names the routes in the log: "<what> failed". */
  what: string;
  /** The page for a failure. */
  page(status: number, problem: Problem): string;
  /** Headers every answer carries besides `Cache-Control: no-store`. */
  headers?: Record<string, string>;
  /** Answers a failure the routes know themselves (true when it did), before the generic ones. */
  known?(error: unknown, req: Request, res: Response): boolean;
  /** Context for the failure's log line. */
  logContext?: Record<string, unknown>;
  /** What the page says of the service's own failure (500, 503), instead of the default text. */
  failed?: string;
}): HtmlPageRoutes {
  const send: HtmlPageRoutes['send'] = (res, status, html) => {
    res
      .status(status)
      .set({ 'Cache-Control': 'no-store', ...deps.headers })
      .type('html')
      .send(html);
  };

  const fail = (error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    if (deps.known?.(error, req, res)) return;
    const status = statusOf(error);
    const problem = PROBLEMS[status];
    if (status >= 500) {
      const { name, message } = error instanceof Error ? error : { name: 'error', message: String(error) };
      // Not as `err` (pino's serializer would add the error's own fields back); the path of a one-time link holds its secret.
      deps.logger.error(
        { error: { name, message }, ...deps.logContext, method: req.method, path: hideLinkSecrets(req.path), status },
        `${deps.what} failed`,
      );
      if (status === 503) res.setHeader('Retry-After', '2');
    }
    send(res, status, deps.page(status, status >= 500 && deps.failed ? { ...problem, text: deps.failed } : problem));
  };

  return {
    send,
    route:
      (handler, options = {}) =>
      async (req, res, next) => {
        try {
          const parser = options.body;
          if (parser)
            await new Promise<void>((resolve, reject) => parser(req, res, (error?: unknown) => (error ? reject(error) : resolve())));
          await handler(req, res);
        } catch (error) {
          fail(error, req, res, next);
        }
      },
  };
}
