/**
 * The contract's push routes (mounted at /api): the VAPID public key, and subscribing or unsubscribing
 * a browser to a blog's key events. Readers are anonymous, so anyone may call them: a blog holds at most
 * `maxPerBlog` subscriptions, each address makes at most SUBSCRIBE_LIMIT changes a minute, and a
 * subscription whose endpoint the outbound rule would refuse is refused here, before anything is stored.
 */
import { createPublicKey } from 'node:crypto';
import { Router, type Request } from 'express';
import ipaddr from 'ipaddr.js';
import { ERROR_CODES } from '../../../shared/codes';
import { PushSubscriptionSchema, PushUnsubscribeSchema } from '../../../shared/schemas';
import { HttpError, notFound, parseOr400 } from '../../http/errors';
import { jsonBody } from '../../http/json-body';
import { checkRegisteredUrl, type Outbound, type RegisteredUrlProblem } from '../../http/outbound';
import { blogIdParam } from '../../http/params';
import { enforceLimit, type WriteLimit } from '../../http/rate-limit';
import type { RateLimiter } from '../../store/rate-limiter';
import type { Timeline } from '../../store/timeline';
import type { SubscriptionStore } from './store';
import type { VapidKeys } from './vapid';

/** Subscribes and unsubscribes one address may make a minute (a newsroom's NAT holds many readers). */
export const SUBSCRIBE_LIMIT: WriteLimit = { perWindow: 60, windowMs: 60_000 };

export interface PushRoutesDeps {
  store: SubscriptionStore;
  timeline: Timeline;
  outbound: Outbound;
  limiter: RateLimiter;
  vapid(): Promise<VapidKeys>;
  maxPerBlog: number;
  subscribeLimit: WriteLimit;
}

const invalid = (field: string, message: string) =>
  new HttpError(400, ERROR_CODES.invalid, 'the subscription has invalid fields', { [field]: message });

/**
 * Ports of services that are not HTTP, refused in any endpoint: LIVEBLOG_OUTBOUND_ALLOW_HOSTS lets an
 * anonymous reader's subscription reach a host it names (tests, on-premise push relays), and a POST to
 * Redis, SMTP, SSH or a database there is never a push (a cross-protocol request).
 */
export const REFUSED_PORTS = new Set(['22', '25', '3306', '5432', '6379', '9200', '11211', '27017']);

const ENDPOINT_PROBLEMS: Record<RegisteredUrlProblem, string> = {
  'not-url': 'must be a URL',
  userinfo: 'must not carry a user name or password',
  scheme: 'must be an https URL',
  address: 'must be on a public address (a push service’s)',
};

/** The endpoint must be one the service may send to (https, a public address, or an allowed host). */
function checkEndpoint(outbound: Outbound, endpoint: string): void {
  const url = checkRegisteredUrl(outbound, endpoint, (problem) => invalid('endpoint', ENDPOINT_PROBLEMS[problem]));
  if (REFUSED_PORTS.has(url.port)) throw invalid('endpoint', `must not be on port ${url.port} (not a push service’s)`);
}

/**
 * Whose changes a limit counts: the address, but an IPv6 address's /64 (RFC 6177: what one subscriber,
 * a home or a phone, is given; one machine may rotate through its 2^64 addresses at will).
 */
export function limitBucket(ip: string | undefined): string {
  if (!ip || !ipaddr.isValid(ip)) return ip ?? 'unknown';
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${parts.join(':')}::/64`;
}

/** p256dh must be a point on P-256 (RFC 8291 §3.1), or every push to it would fail to encrypt. */
function checkKey(p256dh: string): void {
  const point = Buffer.from(p256dh, 'base64url');
  try {
    if (point.length !== 65 || point[0] !== 4) throw new Error('not an uncompressed point');
    const coordinate = (from: number) => point.subarray(from, from + 32).toString('base64url');
    createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: coordinate(1), y: coordinate(33) }, format: 'jwk' });
  } catch {
    throw invalid('keys.p256dh', 'must be a P-256 public key (65 bytes, uncompressed)');
  }
}

export function pushRouter(deps: PushRoutesDeps): Router {
  const router = Router();

  router.get('/push/public-key', async (_req, res) => {
    const { publicKey } = await deps.vapid();
    // Public, and read by the widget on other sites to learn whether push is on.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json({ publicKey });
  });

  const knownBlog = async (req: Request): Promise<string> => {
    const blogId = blogIdParam(req);
    if (!(await deps.timeline.getBlog(blogId))) throw notFound('blog');
    return blogId;
  };
  const limit = async (req: Request, res: Parameters<typeof enforceLimit>[1]): Promise<void> => {
    try {
      await enforceLimit(deps.limiter, res, `push-subscriptions:${limitBucket(req.ip)}`, deps.subscribeLimit);
    } catch (error) {
      // The shared limiter's message speaks of editors' tokens; readers have none.
      if (!(error instanceof HttpError) || error.status !== 429) throw error;
      const retry = String(res.getHeader('Retry-After') ?? '60');
      throw new HttpError(
        429,
        ERROR_CODES.rateLimited,
        `too many subscription changes: at most ${deps.subscribeLimit.perWindow} a minute per address; try again in ${retry} s`,
      );
    }
  };

  router.post('/blogs/:blogId/push-subscriptions', jsonBody, async (req, res) => {
    const subscription = parseOr400(PushSubscriptionSchema, req.body, 'subscription');
    checkEndpoint(deps.outbound, subscription.endpoint);
    checkKey(subscription.keys.p256dh);
    const blogId = await knownBlog(req);
    // The reader's page posts its subscription again on each load (to heal one the server dropped):
    // one stored already, unchanged, changes nothing and costs no change of the address's limit.
    if (await deps.store.has(blogId, subscription)) {
      res.status(201).json({ endpoint: subscription.endpoint });
      return;
    }
    await limit(req, res);
    const result = await deps.store.add(blogId, subscription, deps.maxPerBlog);
    if (result === 'full')
      throw new HttpError(409, ERROR_CODES.conflict, `this blog has the most subscriptions it may keep (${deps.maxPerBlog})`);
    res.status(201).json({ endpoint: subscription.endpoint });
  });

  router.delete('/blogs/:blogId/push-subscriptions', jsonBody, async (req, res) => {
    await limit(req, res);
    const { endpoint } = parseOr400(PushUnsubscribeSchema, req.body, 'request');
    const blogId = await knownBlog(req);
    await deps.store.remove(blogId, endpoint);
    res.status(204).end();
  });

  return router;
}
