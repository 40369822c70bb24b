/** createApp: the HTTP routes and Socket.IO server on one http.Server. Reads no environment. */
import compression from 'compression';
import expressStaticGzip from 'express-static-gzip';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import helmet from 'helmet';
import proxyaddr from 'proxy-addr';
import { pinoHttp } from 'pino-http';
import { Server } from 'socket.io';
import { type Assets, loadAssets } from './assets';
import { DEFAULT_WEBHOOK_RETRY, type Config } from './config';
import { createPeopleAuth, DEFAULT_SESSION_POLICY } from './auth/people-auth';
import { createAuthenticator } from './auth/principal';
import { blogsRouter } from './http/blogs';
import { deskRouter } from './http/desk';
import { DEFAULT_CONNECTION_LIMITS, limitConnections, type ConnectionLimits } from './http/connections';
import { BASE_CSP } from './http/csp';
import { createEmbedPolicy } from './http/embed-policy';
import { errorHandler, HttpError, unknownRoute } from './http/errors';
import { ERROR_CODES } from '../shared/codes';
import { createGuards } from './http/guards';
import { healthRouter } from './http/health';
import { mediaApiRouter, mediaFilesRouter } from './http/media';
import { createSingleSignOn, loggableRequest } from './http/oidc';
import { invitePagesRouter } from './http/invite-pages';
import { DEFAULT_SIGN_IN_LIMITS, INVITE_TTL_MS, peopleRouter, type SignInLimits } from './http/people';
import { IpLimiter, limitPublicRequests } from './http/ip-limits';
import { PageCache } from './http/page-cache';
import { pagesRouter } from './http/pages';
import { tokensRouter } from './http/tokens';
import { updatesRouter } from './http/updates';
import { blogAuditRouter, serviceAuditRouter } from './http/audit';
import { pendingRouter } from './http/pending';
import { viewRouter } from './http/view';
import { hideLinkSecrets, type Logger } from './logger';
import { createMailer } from './mail';
import { Metrics } from './metrics';
import { registerRealtime, startDelivery } from './realtime';
import { LocalBus, RedisBus, type Bus } from './realtime/bus';
import type { LiveServer } from './realtime/context';
import { startRevocation } from './realtime/revocation';
import { startDeskEvents } from './realtime/desk-events';
import { EditingPresence } from './realtime/editing';
import { Approvals } from './service/approvals';
import { Presence } from './realtime/presence';
import { LiveBlogs } from './service/live-blogs';
import type { Stores } from './store/open';
import { MediaCatalog } from './media/catalog';
import { createPictureProcessor, type PictureProcessorOptions } from './media/process';
import type { MediaStorage } from './media/storage';
import { createOutbound } from './http/outbound';
import { Outbox } from './reach/outbox';
import { startPush } from './reach/push';
import type { ReachOptions } from './reach/types';
import { startWebhooks } from './reach/webhooks';
import { startStats } from './stats';

export interface AppDeps {
  stores: Pick<Stores, 'timeline' | 'tokens' | 'rateLimiter' | 'redis' | 'people' | 'sessions' | 'audit'>;
  logger: Logger;
  /** @default the bundles in dist/public */
  assets?: Assets;
  /** @default DEFAULT_CONNECTION_LIMITS (tests shorten the timeouts) */
  connectionLimits?: Partial<ConnectionLimits>;
  /** Tests' knobs for people: a clock to move, shorter lives, lower limits. */
  people?: PeopleOptions;
  /**
   * Where uploaded pictures are kept (main.ts opens it from the settings, and closes it). Without it there
   * are no uploads, and every picture an update names renders as "not available".
   */
  media?: { storage: MediaStorage; processor?: PictureProcessorOptions };
  /** Tests' knobs for webhooks, push and figures (shorter retries, a clock, a CA). */
  reach?: ReachOptions;
}

export interface PeopleOptions {
  /** @default the real clock (invitations and sessions are judged by it) */
  now?: () => Date;
  /** @default INVITE_TTL_MS (7 days) */
  inviteTtlMs?: number;
  /** @default config.sessionIdleMinutes */
  sessionIdleMs?: number;
  /** How often open connections' tokens and sessions are checked again. @default RECHECK_MS */
  recheckMs?: number;
  /** @default DEFAULT_SESSION_POLICY.maxSessions (50) */
  maxSessions?: number;
  signInLimits?: Partial<SignInLimits>;
}

export interface App {
  server: http.Server;
  cache: PageCache;
  io: LiveServer;
  liveBlogs: LiveBlogs;
  /** Stops accepting, disconnects readers (they reconnect elsewhere), lets requests in flight finish. */
  close(): Promise<void>;
}

function isReaderView(method: string | undefined, url: string | undefined): boolean {
  return (method === 'GET' || method === 'HEAD') && /^\/(blogs\/|embed|assets\/|media\/|api\/blogs\/[^/]+\/view|$)/.test(url ?? '');
}

/** Largest Socket.IO message a client may send; subscribe payloads are tiny. */
const MAX_SOCKET_MESSAGE_BYTES = 16 * 1024;

export type AppConfig = Pick<
  Config,
  | 'adminToken'
  | 'editorWritesPerMinute'
  | 'embedOrigins'
  | 'trustProxy'
  | 'ipRequestsPerMinute'
  | 'ipConnectionsPerMinute'
  | 'publicUrl'
  | 'ipMaxConnections'
  | 'oidc'
  | 'sessionIdleMinutes'
  | 'sessionMaxDays'
  | 'signInFailuresPerAccount'
  | 'signInFailuresPerAddress'
  | 'signInFailuresPerAccountAllAddresses'
  | 'smtpUrl'
  | 'mailFrom'
> &
  Partial<Pick<Config, 'outboundAllowHosts' | 'vapid' | 'webhookRetry'>>;

const needsRedis: express.RequestHandler = (_req, _res, next) =>
  next(
    new HttpError(
      503,
      ERROR_CODES.storeUnavailable,
      'webhooks and notifications need Redis (set REDIS_URL): on the in-process store their deliveries would not survive a restart',
    ),
  );

function staticAssets(dir: string, caching: { immutable?: boolean; maxAge: string }) {
  return expressStaticGzip(dir, {
    enableBrotli: true,
    orderPreference: ['br', 'gzip'],
    index: false,
    serveStatic: { ...caching, index: false },
  });
}

export function createApp(config: AppConfig, deps: AppDeps): App {
  const { logger } = deps;
  const { timeline, tokens, rateLimiter } = deps.stores;
  const assets = deps.assets ?? loadAssets();
  const { people, sessions } = deps.stores;
  const now = deps.people?.now ?? (() => new Date());
  const peopleAuth = createPeopleAuth({
    people,
    sessions,
    logger,
    now,
    policy: {
      idleMs:
        deps.people?.sessionIdleMs ?? (config.sessionIdleMinutes ? config.sessionIdleMinutes * 60_000 : DEFAULT_SESSION_POLICY.idleMs),
      maxMs: config.sessionMaxDays ? config.sessionMaxDays * 24 * 60 * 60_000 : DEFAULT_SESSION_POLICY.maxMs,
      secure: !!config.publicUrl?.startsWith('https:'),
      maxSessions: deps.people?.maxSessions ?? DEFAULT_SESSION_POLICY.maxSessions,
    },
    // Made below; only called once requests come.
    revoked: (principal) => revocation.revoked(principal),
  });
  const authenticator = {
    ...createAuthenticator(config.adminToken, tokens),
    sessions: { principal: peopleAuth.principal, ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}) },
  };
  const guards = createGuards(authenticator, rateLimiter, { perWindow: config.editorWritesPerMinute, windowMs: 60_000 });

  const app = express();
  const connectionLimits = {
    ...DEFAULT_CONNECTION_LIMITS,
    ...deps.connectionLimits,
    ...(config.ipMaxConnections ? { perAddress: config.ipMaxConnections } : {}),
  };
  // Node checks the request timeouts every `connectionsCheckingInterval` (30 s unless told otherwise).
  const server = http.createServer({ connectionsCheckingInterval: Math.min(1_000, connectionLimits.headersTimeoutMs) }, app);
  const embed = createEmbedPolicy(config.embedOrigins);
  const ipLimiter = new IpLimiter(rateLimiter, logger, {
    requests: config.ipRequestsPerMinute,
    connections: config.ipConnectionsPerMinute,
  });
  const trust = proxyaddr.compile(config.trustProxy.split(',').map((entry) => entry.trim()));
  limitConnections(server, connectionLimits, (address) => trust(address, 0), logger);
  const io: LiveServer = new Server(server, {
    serveClient: false,
    maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
    cors: { origin: embed.origins ?? '*' },
    allowRequest: (req, callback) => {
      // Only the first request of a connection comes here: its handshake.
      if (!ipLimiter.hit('connections', proxyaddr(req, trust))) return callback('too many connections from this address', false);
      embed.allowSocket(req, callback);
    },
  });
  // On Redis, every process sharing it acts as one: they tell each other of events, reader counts and
  // new blogs over the bus, and each follows its readers' blogs' logs (realtime/feeds.ts).
  const bus: Bus = deps.stores.redis ? new RedisBus(deps.stores.redis, logger) : new LocalBus();
  const presence = new Presence(io, bus);
  const metrics = new Metrics(
    () => presence.localCounts(),
    () => io.engine.clientsCount,
  );
  deps.stores.redis?.client.on('error', () => metrics.redisErrors.inc());
  const cache = new PageCache(undefined, (hit) => metrics.pageCache.inc({ result: hit ? 'hit' : 'miss' }));
  const delivery = startDelivery({
    io,
    timeline,
    bus,
    presence,
    logger,
    invalidate: (blogId) => cache.invalidate(blogId),
    invalidateAll: () => cache.invalidateAll(),
    published: (event, startedAt) => metrics.published(event.type, startedAt),
  });
  const catalog = deps.media ? new MediaCatalog(deps.media.storage) : undefined;
  const liveBlogs = new LiveBlogs({
    timeline,
    changed: (change) => {
      delivery.changed(change);
      if (change.kind === 'events') void outbox?.kick(change.events[0]!.blogId, change.events[0]!.prev);
      else if (change.kind === 'blog-created') void outbox?.created(change.blogId, change.cursor);
    },
    ...(catalog ? { media: catalog } : {}),
  });
  const deskEvents = startDeskEvents({ io, bus });
  const approvals = new Approvals({ timeline, liveBlogs, pendingChanged: deskEvents.pendingChanged });
  const editing = new EditingPresence(io, bus);
  const { feeds } = delivery;
  const stopRealtime = registerRealtime(io, { feeds, logger, authenticator, presence, metrics, editing });
  const revocation = startRevocation({
    io,
    bus,
    tokens,
    sessions,
    people,
    logger,
    ...(deps.people?.recheckMs ? { recheckMs: deps.people.recheckMs } : {}),
  });

  // Reach (docs/webhooks.md, docs/notifications.md): on Redis only, where deliveries can outlive a
  // restart. The outbox hands every logged event to webhooks and push (outbox.ts).
  const outbound = createOutbound({ allowHosts: config.outboundAllowHosts ?? [], ...deps.reach?.outbound });
  const shared = deps.stores.redis;
  const reachDeps = shared
    ? {
        redis: shared,
        timeline,
        logger,
        guards,
        audit: deps.stores.audit,
        outbound,
        publicOrigin: () => publicOrigin(),
        ...(config.vapid ? { vapid: config.vapid } : {}),
        webhookRetry: { ...DEFAULT_WEBHOOK_RETRY, ...config.webhookRetry, ...deps.reach?.webhookRetry },
        ...(config.mailFrom ? { mailFrom: config.mailFrom } : {}),
        options: deps.reach ?? {},
      }
    : null;
  const webhooks = reachDeps ? startWebhooks(reachDeps) : null;
  const push = reachDeps ? startPush(reachDeps) : null;
  const outbox =
    shared && webhooks && push
      ? new Outbox(
          { redis: shared, timeline, logger, handlers: [webhooks.handler, push.handler] },
          deps.reach?.sweepMs ? { sweepMs: deps.reach.sweepMs } : {},
        )
      : null;
  const stats = startStats({
    io,
    timeline,
    guards,
    logger,
    ...(shared ? { redis: shared } : {}),
    ...(push ? { push: push.figures } : {}),
    ...(deps.reach?.statsFlushMs ? { flushMs: deps.reach.statsFlushMs } : {}),
  });

  app.disable('x-powered-by');
  app.set('trust proxy', trust);
  app.use(
    pinoHttp({
      logger,
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
      // An invitation's or setup link's address is a secret, and single sign-on's callback carries the
      // authorization code and state in its query: both are logged without them.
      serializers: { req: (req: { url: string }) => loggableRequest({ ...req, url: hideLinkSecrets(req.url) }) },
      // Readers' page views that went well are the CDN's to log (thousands a second in a spike); every
      // write, every error and everything else is logged here.
      // A 503 `busy` (errors.ts) is capacity, not a fault: warn.
      customLogLevel: (req, res, error) =>
        (error || res.statusCode >= 500) && !(res as { locals?: { busy?: boolean } }).locals?.busy
          ? 'error'
          : res.statusCode >= 400
            ? 'warn'
            : isReaderView(req.method, req.url)
              ? 'silent'
              : 'info',
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: BASE_CSP,
      },
      // Other sites embed the widget and read the public routes, so resources may be loaded cross-origin.
      crossOriginResourcePolicy: { policy: 'cross-origin' },
      referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    }),
  );
  // The bundles are sent as the build compressed them (brotli or gzip, whichever the browser takes).
  app.use('/assets', staticAssets(assets.dir, { immutable: true, maxAge: '365d' }));
  // The one-tag widget's URL never changes, so it is cached briefly; what it loads is versioned.
  app.get('/embed.js', staticAssets(assets.dir, { maxAge: '5m' }));
  // Pictures, like the bundles: already compressed, immutable, and not counted against a reader's
  // address (a page of pictures on a busy story must not use up the limit that protects the pages).
  if (catalog) app.use('/media', mediaFilesRouter({ catalog, logger }));
  // Everything else (pages, feeds, JSON) is compressed as it goes, small answers too, as the contract
  // says: a few bytes more on a tiny answer, but no client ever gets an answer it asked compressed
  // uncompressed. Cached pages were already compressed once (page-cache.ts) and pass through untouched.
  app.use(compression({ threshold: 0 }));
  app.use(['/api/blogs', '/blogs/:blogId/feed.atom'], embed.cors);
  app.use(healthRouter({ timeline, registry: metrics.registry }));
  app.use(limitPublicRequests(ipLimiter));
  app.use('/api', deskRouter({ guards, ...(catalog ? { media: catalog } : {}) }));
  app.use(
    '/api',
    peopleRouter({
      people,
      sessions,
      auth: peopleAuth,
      guards,
      rateLimiter,
      mailer: createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, publicUrl: config.publicUrl, logger }),
      logger,
      limits: {
        ...DEFAULT_SIGN_IN_LIMITS,
        ...(config.signInFailuresPerAccount ? { perAccount: config.signInFailuresPerAccount } : {}),
        ...(config.signInFailuresPerAddress ? { perAddress: config.signInFailuresPerAddress } : {}),
        ...(config.signInFailuresPerAccountAllAddresses ? { perAccountAllAddresses: config.signInFailuresPerAccountAllAddresses } : {}),
        ...deps.people?.signInLimits,
      },
      publicOrigin: () => publicOrigin(),
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
      revoked: (principal) => revocation.revoked(principal),
      inviteTtlMs: deps.people?.inviteTtlMs ?? INVITE_TTL_MS,
      now,
    }),
  );
  app.use('/api/tokens', tokensRouter({ tokens, guards, revoked: revocation.revoked, audit: deps.stores.audit, logger }));
  if (webhooks) app.use('/api', webhooks.router);
  if (push) app.use('/api', push.router);
  // On the in-process store, deliveries could not outlive a restart: webhooks and push are off, and say why.
  if (!reachDeps) app.use(['/api/webhooks', '/api/push', '/api/blogs/:blogId/push-subscriptions'], needsRedis);
  app.use('/api/blogs/:blogId', stats.router);
  app.use('/api/blogs', blogsRouter({ timeline, liveBlogs, guards }));
  if (catalog) {
    app.use(
      '/api/blogs/:blogId',
      mediaApiRouter({
        catalog,
        processor: createPictureProcessor(deps.media?.processor),
        timeline,
        liveBlogs,
        approvals,
        guards,
        audit: deps.stores.audit,
        logger,
        publicOrigin: () => publicOrigin(),
        uploadTimeoutMs: connectionLimits.uploadTimeoutMs,
      }),
    );
  }
  app.use('/api/blogs/:blogId', updatesRouter({ timeline, liveBlogs, approvals, guards }));
  app.use('/api/blogs/:blogId', pendingRouter({ timeline, approvals, guards }));
  app.use('/api/blogs/:blogId', blogAuditRouter({ timeline, audit: deps.stores.audit, guards }));
  app.use('/api/audit', serviceAuditRouter({ audit: deps.stores.audit, guards }));
  app.use('/api/blogs/:blogId', viewRouter({ timeline, cache }));
  // Without LIVEBLOG_PUBLIC_URL, the address this process listens on, as seen from the machine itself.
  const publicOrigin = () => config.publicUrl ?? `http://localhost:${(server.address() as AddressInfo | null)?.port ?? 0}`;
  app.use(
    invitePagesRouter({
      people,
      auth: peopleAuth,
      assets,
      logger,
      now,
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    }),
  );
  // Single sign-on, when configured (docs/single-sign-on.md): its two routes and the desk's link.
  const singleSignOn = config.oidc
    ? createSingleSignOn(config.oidc, {
        people,
        startSession: peopleAuth.startSession,
        publicOrigin,
        secure: peopleAuth.policy.secure,
        assets,
        logger,
        redis: deps.stores.redis,
      })
    : null;
  if (singleSignOn) app.use(singleSignOn.router);
  app.use(pagesRouter({ timeline, assets, cache, embed, publicOrigin, editor: singleSignOn ? { sso: singleSignOn.button } : {} }));
  app.use(unknownRoute);
  app.use(errorHandler(logger, () => metrics.redisErrors.inc()));

  return {
    server,
    cache,
    io,
    liveBlogs,
    close: async () => {
      presence.close();
      editing.close();
      delivery.close();
      stopRealtime();
      revocation.close();
      ipLimiter.close();
      // io.close() disconnects every reader (their clients reconnect, to another process if there is
      // one) and closes the http.Server, whose callback waits for requests in flight. A keep-alive
      // connection whose request finishes meanwhile is closed as soon as it is idle, not at its timeout.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      await new Promise<void>((resolve) => {
        io.close(() => resolve());
        server.closeIdleConnections();
      });
      clearInterval(sweep);
      await outbox?.close();
      await Promise.all([webhooks?.close(), push?.close(), stats.close()]);
      await outbound.close();
      await bus.close();
    },
  };
}
