/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/), by hand with node:crypto: the sender
 * needs only the HMAC, and this gives the reference library's bytes (docs/research/issue-15-libraries.md
 * §1, checked by the unit test's vector and, in the integration tests, by `standardwebhooks` itself).
 */
import { createHmac, createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../assets';

/** Says who is calling, for receivers' logs and firewalls: `liveblog-webhooks/<version>`. */
export const USER_AGENT = `liveblog-webhooks/${(JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version}`;

const SECRET_PREFIX = 'whsec_';

/** A new endpoint secret: `whsec_` and 32 random bytes in base64 (shown once, to whoever registers it). */
export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the bytes the secret's base64 part holds. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
}

/**
 * The headers of one attempt. `timestamp` is the attempt's own (Unix seconds, now): receivers refuse
 * one more than 5 minutes off, so a retry hours later is signed afresh; the id stays the same.
 */
export function signedHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': sign(secret, id, timestamp, body),
  };
}

/** The `webhook-id` of a delivery: the same for every attempt at it, from its job's id (the endpoint and the event). */
export function messageId(jobId: string): string {
  return 'msg_' + createHash('sha256').update(jobId).digest('base64url').slice(0, 27);
}
