import pino, { type Logger } from 'pino';

/** Paths pino blanks in every log line: secrets never reach the logs, whoever logs them. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  // A page reached from a one-time link names it as its Referer (same-origin), secret and all.
  'req.headers.referer',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'adminToken',
  '*.adminToken',
];

/** A one-time link's address with its secret blanked (`/invite/<secret>` signs a person in). */
export function hideLinkSecrets(url: string): string {
  return url.replace(/^\/(invite|setup)\/[^/?#]+/, '/$1/[redacted]');
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'liveblog' } }, destination);
}

export type { Logger };
