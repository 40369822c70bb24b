/** Settings, read from the environment in one place (only main.ts passes `process.env`). */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import type { S3StorageSettings } from './media/storage-s3';
import { parseRedisUrl } from './store/redis/connection';

export interface Config {
  /** Port for HTTP and Socket.IO. @default 3000 */
  port: number;
  /** Interface to listen on. @default all interfaces */
  host?: string;
  /**
   * The Redis that holds everything; `memory` for the in-process store.
   * @default redis://127.0.0.1:6379 if it answers, else the in-process store
   */
  redisUrl?: string;
  /** Bearer token with every right. @default a random one, printed once at start */
  adminToken: string;
  /** Whether `adminToken` was generated (and so must be shown to the operator). */
  adminTokenGenerated: boolean;
  /** pino level. @default 'info' */
  logLevel: string;
  /** Prefix of every Redis key. @default 'lb:' */
  redisPrefix: string;
  /** Events kept per blog for readers catching up; one further behind reloads. @default 5000 */
  historyLength: number;
  /** Seed the demo blog when the store holds no blog. @default true */
  seedDemo: boolean;
  /** The Redis tried when REDIS_URL is unset. @default redis://127.0.0.1:6379 */
  redisProbeUrl: string;
  /** Writes (publish, edit, delete, blog and token changes) one token may make a minute. @default 120 */
  editorWritesPerMinute: number;
  /** Origins that may embed blogs and read the public routes; null for any. @default null */
  embedOrigins: string[] | null;
  /** Which proxies' X-Forwarded-For is believed (Express's `trust proxy`). @default 'loopback' */
  trustProxy: string;
  /** HTTP requests one client address may make a minute (health checks and static assets aside). @default 1200 */
  ipRequestsPerMinute: number;
  /** Socket.IO connections one client address may open a minute. @default 120 */
  ipConnectionsPerMinute: number;
  /** Connections one client address may hold open at once (proxies it trusts aside). @default 1000 (undefined here) */
  ipMaxConnections?: number;
  /**
   * Replicas that must hold a write before it is acknowledged (Redis WAIT).
   * @default 1 on Sentinel and Cluster, 0 on a lone server (undefined here)
   */
  minReplicas?: number;
  /**
   * The service's public address (`https://live.example.com`): canonical links, feeds, share tags.
   * @default http://localhost:<port> (undefined here)
   */
  publicUrl?: string;
  /**
   * Single sign-on through an OpenID Connect provider: LIVEBLOG_OIDC_ISSUER, LIVEBLOG_OIDC_CLIENT_ID and
   * LIVEBLOG_OIDC_CLIENT_SECRET, all three or none; LIVEBLOG_OIDC_NAME names it on the desk.
   * @default none: the desk offers no single sign-on (undefined here)
   */
  oidc?: OidcSettings;
  /** People's sessions end after this many minutes without a request. @default 720 (12 hours; undefined here) */
  sessionIdleMinutes?: number;
  /** People's sessions end this many days after sign-in, however active. @default 30 (undefined here) */
  sessionMaxDays?: number;
  /** Failed sign-ins on one account from one client address per 15 minutes before that address gets 429 for it. @default 10 (undefined here) */
  signInFailuresPerAccount?: number;
  /** Failed sign-ins on one account from all addresses together per 15 minutes before 429 for everyone. @default 100 (undefined here) */
  signInFailuresPerAccountAllAddresses?: number;
  /** Failed sign-ins one client address may make per 15 minutes before 429. @default 50 (undefined here) */
  signInFailuresPerAddress?: number;
  /** Mail server for invitations (`smtp://user:pass@host:587`, `smtps://…`). @default none: links are only in the answer */
  smtpUrl?: string;
  /** Sender of invitations. @default liveblog@<LIVEBLOG_PUBLIC_URL's host> */
  mailFrom?: string;
  /**
   * Where uploaded pictures are kept: a folder (LIVEBLOG_MEDIA_DIR), or an S3-compatible bucket shared by
   * every process when LIVEBLOG_MEDIA_S3_BUCKET is set (docs/media-storage.md).
   * @default { kind: 'local', dir: '<working directory>/data/media' }
   */
  media: MediaSettings;
  /**
   * Hosts or IPs (exactly as written in a URL, lower-case, IPv6 without brackets) that outbound requests
   * (webhooks, push) may reach although they are loopback or private, and over plain http (docs/outbound.md).
   * @default [] (only public https hosts)
   */
  outboundAllowHosts: string[];
  /**
   * The VAPID key pair Web Push is signed with (LIVEBLOG_VAPID_PUBLIC_KEY and LIVEBLOG_VAPID_PRIVATE_KEY,
   * base64url, both or neither) and the contact push services are given (LIVEBLOG_VAPID_SUBJECT).
   * @default a pair generated once and kept in Redis; subject `mailto:` LIVEBLOG_MAIL_FROM or the public URL
   */
  vapid?: VapidSettings;
  /** How webhook deliveries are retried (docs/webhooks.md). @default DEFAULT_WEBHOOK_RETRY */
  webhookRetry: WebhookRetry;
}

export interface VapidSettings {
  publicKey?: string;
  privateKey?: string;
  /** `mailto:` or `https:` URL. */
  subject?: string;
}

export interface WebhookRetry {
  /** The first retry's delay; each next one doubles, with ±20 % jitter. @default 30 s (LIVEBLOG_WEBHOOK_RETRY_BASE_MS) */
  baseMs: number;
  /** The longest delay between two attempts. @default 1 h (LIVEBLOG_WEBHOOK_RETRY_MAX_MS) */
  maxDelayMs: number;
  /** An endpoint whose every attempt failed for this long is disabled. @default 24 h (LIVEBLOG_WEBHOOK_DISABLE_AFTER_MS) */
  disableAfterMs: number;
}

export const DEFAULT_WEBHOOK_RETRY: WebhookRetry = { baseMs: 30_000, maxDelayMs: 60 * 60_000, disableAfterMs: 24 * 60 * 60_000 };

export type MediaSettings = { kind: 'local'; dir: string } | ({ kind: 's3' } & S3StorageSettings);

export interface OidcSettings {
  /** The provider's issuer identifier, exactly as its discovery document names it. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Shown on the desk's button, "Sign in with <name>". @default the issuer's host */
  name: string;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** An unset or blank variable is the same as a missing one. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((raw) => (typeof raw === 'string' && raw.trim() === '' ? undefined : raw), schema.optional());
const trimmed = z.string().transform((value) => value.trim());
const whole = (min: number, max: number) =>
  z.coerce
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int(`must be a whole number from ${min} to ${max}`)
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/** One schema for every variable; each message names its variable (see loadConfig). */
const EnvSchema = z.object({
  PORT: optional(whole(0, 65535)),
  HOST: optional(trimmed),
  REDIS_URL: optional(trimmed.transform((url, context) => checkedRedisUrl(url, context))),
  LIVEBLOG_PUBLIC_URL: optional(trimmed.transform((raw, context) => publicUrl(raw, context))),
  LIVEBLOG_ADMIN_TOKEN: optional(trimmed.pipe(z.string().min(16, 'must be at least 16 characters'))),
  LOG_LEVEL: optional(trimmed.pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }))),
  LIVEBLOG_REDIS_PREFIX: z.string().optional(),
  LIVEBLOG_HISTORY_LENGTH: optional(whole(10, 1_000_000)),
  LIVEBLOG_DEMO: z.string().optional(),
  LIVEBLOG_REDIS_PROBE_URL: optional(trimmed),
  LIVEBLOG_EMBED_ORIGINS: optional(z.string().transform((raw, context) => originList(raw, context))),
  LIVEBLOG_TRUST_PROXY: optional(trimmed),
  LIVEBLOG_IP_REQUESTS_PER_MINUTE: optional(whole(1, 10_000_000)),
  LIVEBLOG_IP_CONNECTIONS_PER_MINUTE: optional(whole(1, 10_000_000)),
  LIVEBLOG_MIN_REPLICAS: optional(whole(0, 16)),
  LIVEBLOG_IP_MAX_CONNECTIONS: optional(whole(1, 1_000_000)),
  LIVEBLOG_EDITOR_WRITES_PER_MINUTE: optional(whole(1, 100_000)),
  LIVEBLOG_OIDC_ISSUER: optional(trimmed.transform((raw, context) => issuerUrl(raw, context))),
  LIVEBLOG_OIDC_CLIENT_ID: optional(trimmed),
  LIVEBLOG_OIDC_CLIENT_SECRET: optional(trimmed),
  LIVEBLOG_SESSION_IDLE_MINUTES: optional(whole(1, 525_600)),
  LIVEBLOG_SESSION_MAX_DAYS: optional(whole(1, 365)),
  LIVEBLOG_SIGNIN_FAILURES_PER_ACCOUNT: optional(whole(1, 10_000)),
  LIVEBLOG_SIGNIN_FAILURES_PER_ADDRESS: optional(whole(1, 1_000_000)),
  LIVEBLOG_SIGNIN_FAILURES_PER_ACCOUNT_ALL_ADDRESSES: optional(whole(1, 1_000_000)),
  LIVEBLOG_SMTP_URL: optional(
    trimmed.pipe(z.string().regex(/^smtps?:\/\/\S+$/, 'must be a URL like smtp://user:password@mail.example:587')),
  ),
  LIVEBLOG_MAIL_FROM: optional(trimmed.pipe(z.string().max(254, 'must be at most 254 characters'))),
  LIVEBLOG_OIDC_NAME: optional(trimmed.pipe(z.string().max(60, 'must be at most 60 characters'))),
  LIVEBLOG_MEDIA_DIR: optional(trimmed),
  LIVEBLOG_OUTBOUND_ALLOW_HOSTS: optional(z.string().transform((raw, context) => hostList(raw, context))),
  LIVEBLOG_VAPID_PUBLIC_KEY: optional(
    trimmed.pipe(z.string().regex(/^[A-Za-z0-9_-]{87}$/, 'must be an uncompressed P-256 public key in base64url (87 characters)')),
  ),
  LIVEBLOG_VAPID_PRIVATE_KEY: optional(
    trimmed.pipe(z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a P-256 private key in base64url (43 characters)')),
  ),
  LIVEBLOG_VAPID_SUBJECT: optional(trimmed.pipe(z.string().regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, 'must be a mailto: or https: URL'))),
  LIVEBLOG_WEBHOOK_RETRY_BASE_MS: optional(whole(100, 24 * 60 * 60_000)),
  LIVEBLOG_WEBHOOK_RETRY_MAX_MS: optional(whole(100, 7 * 24 * 60 * 60_000)),
  LIVEBLOG_WEBHOOK_DISABLE_AFTER_MS: optional(whole(1_000, 30 * 24 * 60 * 60_000)),
  LIVEBLOG_MEDIA_S3_BUCKET: optional(
    trimmed.pipe(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name (3 to 63 of a-z, 0-9, . and -)')),
  ),
  LIVEBLOG_MEDIA_S3_ENDPOINT: optional(trimmed.transform((raw, context) => s3Endpoint(raw, context))),
  LIVEBLOG_MEDIA_S3_REGION: optional(trimmed.pipe(z.string().regex(/^[a-z0-9-]{1,40}$/, 'must be a region like us-east-1 (R2: auto)'))),
  LIVEBLOG_MEDIA_S3_ACCESS_KEY_ID: optional(trimmed),
  LIVEBLOG_MEDIA_S3_SECRET_ACCESS_KEY: optional(trimmed),
  LIVEBLOG_MEDIA_S3_FORCE_PATH_STYLE: optional(
    trimmed.pipe(z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' })).transform((raw) => raw === 'true' || raw === '1'),
  ),
  LIVEBLOG_MEDIA_S3_PREFIX: optional(
    trimmed.pipe(
      z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\/?$/, 'must be a key prefix like liveblog/'),
    ),
  ),
});

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    // One line per bad variable, each named: "LIVEBLOG_HISTORY_LENGTH must be at least 10".
    throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('; '));
  }
  const vars = parsed.data;
  return {
    port: vars.PORT ?? 3000,
    host: vars.HOST,
    redisUrl: vars.REDIS_URL,
    ...(vars.LIVEBLOG_PUBLIC_URL ? { publicUrl: vars.LIVEBLOG_PUBLIC_URL } : {}),
    adminToken: vars.LIVEBLOG_ADMIN_TOKEN ?? randomBytes(32).toString('base64url'),
    adminTokenGenerated: !vars.LIVEBLOG_ADMIN_TOKEN,
    logLevel: vars.LOG_LEVEL ?? 'info',
    redisPrefix: vars.LIVEBLOG_REDIS_PREFIX ?? 'lb:',
    historyLength: vars.LIVEBLOG_HISTORY_LENGTH ?? 5000,
    seedDemo: vars.LIVEBLOG_DEMO !== '0',
    redisProbeUrl: vars.LIVEBLOG_REDIS_PROBE_URL ?? DEFAULT_REDIS_URL,
    embedOrigins: vars.LIVEBLOG_EMBED_ORIGINS ?? null,
    trustProxy: vars.LIVEBLOG_TRUST_PROXY ?? 'loopback',
    ipRequestsPerMinute: vars.LIVEBLOG_IP_REQUESTS_PER_MINUTE ?? 1200,
    ipConnectionsPerMinute: vars.LIVEBLOG_IP_CONNECTIONS_PER_MINUTE ?? 120,
    ...(vars.LIVEBLOG_MIN_REPLICAS !== undefined ? { minReplicas: vars.LIVEBLOG_MIN_REPLICAS } : {}),
    ...(vars.LIVEBLOG_IP_MAX_CONNECTIONS !== undefined ? { ipMaxConnections: vars.LIVEBLOG_IP_MAX_CONNECTIONS } : {}),
    editorWritesPerMinute: vars.LIVEBLOG_EDITOR_WRITES_PER_MINUTE ?? 120,
    ...oidcSettings(vars),
    ...(vars.LIVEBLOG_SESSION_IDLE_MINUTES !== undefined ? { sessionIdleMinutes: vars.LIVEBLOG_SESSION_IDLE_MINUTES } : {}),
    ...(vars.LIVEBLOG_SESSION_MAX_DAYS !== undefined ? { sessionMaxDays: vars.LIVEBLOG_SESSION_MAX_DAYS } : {}),
    ...(vars.LIVEBLOG_SIGNIN_FAILURES_PER_ACCOUNT !== undefined
      ? { signInFailuresPerAccount: vars.LIVEBLOG_SIGNIN_FAILURES_PER_ACCOUNT }
      : {}),
    ...(vars.LIVEBLOG_SIGNIN_FAILURES_PER_ADDRESS !== undefined
      ? { signInFailuresPerAddress: vars.LIVEBLOG_SIGNIN_FAILURES_PER_ADDRESS }
      : {}),
    ...(vars.LIVEBLOG_SIGNIN_FAILURES_PER_ACCOUNT_ALL_ADDRESSES !== undefined
      ? { signInFailuresPerAccountAllAddresses: vars.LIVEBLOG_SIGNIN_FAILURES_PER_ACCOUNT_ALL_ADDRESSES }
      : {}),
    ...(vars.LIVEBLOG_SMTP_URL ? { smtpUrl: vars.LIVEBLOG_SMTP_URL } : {}),
    ...(vars.LIVEBLOG_MAIL_FROM ? { mailFrom: vars.LIVEBLOG_MAIL_FROM } : {}),
    media: mediaSettings(vars),
    outboundAllowHosts: vars.LIVEBLOG_OUTBOUND_ALLOW_HOSTS ?? [],
    ...vapidSettings(vars),
    webhookRetry: {
      baseMs: vars.LIVEBLOG_WEBHOOK_RETRY_BASE_MS ?? DEFAULT_WEBHOOK_RETRY.baseMs,
      maxDelayMs: vars.LIVEBLOG_WEBHOOK_RETRY_MAX_MS ?? DEFAULT_WEBHOOK_RETRY.maxDelayMs,
      disableAfterMs: vars.LIVEBLOG_WEBHOOK_DISABLE_AFTER_MS ?? DEFAULT_WEBHOOK_RETRY.disableAfterMs,
    },
  };
}

/** The VAPID keys come as a pair or not at all. */
function vapidSettings(vars: z.infer<typeof EnvSchema>): { vapid?: VapidSettings } {
  const { LIVEBLOG_VAPID_PUBLIC_KEY: publicKey, LIVEBLOG_VAPID_PRIVATE_KEY: privateKey, LIVEBLOG_VAPID_SUBJECT: subject } = vars;
  if (!publicKey !== !privateKey)
    throw new Error(
      'LIVEBLOG_VAPID_PUBLIC_KEY and LIVEBLOG_VAPID_PRIVATE_KEY go together: set both (npx web-push generate-vapid-keys) or neither',
    );
  if (!publicKey && !subject) return {};
  return { vapid: { ...(publicKey ? { publicKey, privateKey } : {}), ...(subject ? { subject } : {}) } };
}

const S3_VARIABLES = [
  'LIVEBLOG_MEDIA_S3_ENDPOINT',
  'LIVEBLOG_MEDIA_S3_REGION',
  'LIVEBLOG_MEDIA_S3_ACCESS_KEY_ID',
  'LIVEBLOG_MEDIA_S3_SECRET_ACCESS_KEY',
  'LIVEBLOG_MEDIA_S3_FORCE_PATH_STYLE',
  'LIVEBLOG_MEDIA_S3_PREFIX',
] as const;

/** A folder by default; S3 when a bucket is named. Half a setting is an error, not a silent fallback to the folder. */
function mediaSettings(vars: z.output<typeof EnvSchema>): MediaSettings {
  const bucket = vars.LIVEBLOG_MEDIA_S3_BUCKET;
  if (!bucket) {
    const stray = S3_VARIABLES.filter((name) => vars[name] !== undefined);
    if (stray.length) throw new Error(`${stray.join(', ')} ${stray.length > 1 ? 'are' : 'is'} set, but LIVEBLOG_MEDIA_S3_BUCKET is not`);
    // Resolved now, so the start-up line and every process name the same folder whatever their working directory later.
    return { kind: 'local', dir: path.resolve(vars.LIVEBLOG_MEDIA_DIR ?? path.join('data', 'media')) };
  }
  if (vars.LIVEBLOG_MEDIA_DIR) throw new Error('LIVEBLOG_MEDIA_DIR and LIVEBLOG_MEDIA_S3_BUCKET are both set: pictures go to one place');
  const accessKeyId = vars.LIVEBLOG_MEDIA_S3_ACCESS_KEY_ID;
  const secretAccessKey = vars.LIVEBLOG_MEDIA_S3_SECRET_ACCESS_KEY;
  if (!accessKeyId !== !secretAccessKey) {
    throw new Error(
      'LIVEBLOG_MEDIA_S3_ACCESS_KEY_ID and LIVEBLOG_MEDIA_S3_SECRET_ACCESS_KEY go together (or neither, for the AWS default credentials)',
    );
  }
  const endpoint = vars.LIVEBLOG_MEDIA_S3_ENDPOINT;
  return {
    kind: 's3',
    bucket,
    ...(endpoint ? { endpoint } : {}),
    region: vars.LIVEBLOG_MEDIA_S3_REGION ?? 'us-east-1',
    ...(accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : {}),
    // MinIO, s3rver and most servers of one's own answer on one host name: path style is what works there.
    forcePathStyle: vars.LIVEBLOG_MEDIA_S3_FORCE_PATH_STYLE ?? Boolean(endpoint),
    ...(vars.LIVEBLOG_MEDIA_S3_PREFIX ? { prefix: vars.LIVEBLOG_MEDIA_S3_PREFIX } : {}),
  };
}

/** An http(s) URL without credentials, query or fragment (credentials go in their own variables, never in a URL that might be logged). */
function s3Endpoint(raw: string, context: z.RefinementCtx): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // Not echoed: a mistyped URL may still hold a secret.
    context.addIssue({ code: 'custom', message: 'is not a URL like https://s3.example.com' });
    return z.NEVER;
  }
  if (!/^https?:$/.test(url.protocol) || url.username || url.password || url.search || url.hash) {
    context.addIssue({ code: 'custom', message: 'must be an http(s) URL like https://s3.example.com, without credentials or a query' });
    return z.NEVER;
  }
  return url.href.replace(/\/$/, '');
}

const OIDC_VARIABLES = ['LIVEBLOG_OIDC_ISSUER', 'LIVEBLOG_OIDC_CLIENT_ID', 'LIVEBLOG_OIDC_CLIENT_SECRET'] as const;

/** Single sign-on's settings: all three or none (half of them would leave the desk a button that cannot work). */
function oidcSettings(vars: z.output<typeof EnvSchema>): { oidc?: OidcSettings } {
  const missing = OIDC_VARIABLES.filter((name) => !vars[name]);
  if (missing.length === OIDC_VARIABLES.length) {
    if (vars.LIVEBLOG_OIDC_NAME) throw new Error(`LIVEBLOG_OIDC_NAME is set, but single sign-on needs ${OIDC_VARIABLES.join(', ')} too`);
    return {};
  }
  if (missing.length) {
    throw new Error(
      `single sign-on needs ${OIDC_VARIABLES.join(', ')} together: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} unset`,
    );
  }
  const issuer = vars.LIVEBLOG_OIDC_ISSUER!;
  return {
    oidc: {
      issuer,
      clientId: vars.LIVEBLOG_OIDC_CLIENT_ID!,
      clientSecret: vars.LIVEBLOG_OIDC_CLIENT_SECRET!,
      name: vars.LIVEBLOG_OIDC_NAME ?? new URL(issuer).host,
    },
  };
}

/** An OpenID provider's issuer: an http(s) URL (plain http only makes sense for a provider on this machine or in tests). */
function issuerUrl(raw: string, context: z.RefinementCtx): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    context.addIssue({ code: 'custom', message: `${raw} is not a URL like https://login.example.com` });
    return z.NEVER;
  }
  if (!/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password) {
    context.addIssue({ code: 'custom', message: `${raw} must be an http(s) URL like https://login.example.com, without a query` });
    return z.NEVER;
  }
  // Kept as written: the provider's discovery document must name exactly this issuer.
  return raw;
}

/** `memory`, or a Redis URL that parses (see parseRedisUrl for the forms). */
function checkedRedisUrl(url: string, context: z.RefinementCtx): string {
  if (url === 'memory') return url;
  try {
    parseRedisUrl(url);
    return url;
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message.replace(/^REDIS_URL:? ?/, '') });
    return z.NEVER;
  }
}

/** An http(s) origin, written as URL parsing writes it (no trailing slash, no path). */
function publicUrl(raw: string, context: z.RefinementCtx): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    context.addIssue({ code: 'custom', message: `${raw} is not a URL like https://live.example.com` });
    return z.NEVER;
  }
  if (!/^https?:$/.test(url.protocol) || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    context.addIssue({ code: 'custom', message: `${raw} must be an http(s) origin like https://live.example.com, without a path` });
    return z.NEVER;
  }
  return url.origin;
}

/** `https://a.example, https://b.example` → the origins; empty → null (any origin). */
/** `a.example, 127.0.0.1, [::1]` → `['a.example', '127.0.0.1', '::1']`: hosts only, no scheme, port or path. */
function hostList(raw: string, context: z.RefinementCtx): string[] {
  const hosts = raw
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((host) => host.toLowerCase().replace(/^\[(.*)\]$/, '$1'));
  for (const host of hosts) {
    if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(host) && !isIP(host))
      context.addIssue({ code: 'custom', message: `${host} is not a host name or IP (no scheme, port or path)` });
  }
  return [...new Set(hosts)];
}

function originList(raw: string, context: z.RefinementCtx): string[] | null {
  const origins = raw.split(/[\s,]+/).filter(Boolean);
  for (const origin of origins) {
    if (!/^https?:\/\/[^/]+$/.test(origin.replace(/\/$/, '')))
      context.addIssue({ code: 'custom', message: `${origin} is not an origin like https://news.example` });
  }
  return origins.length ? origins : null;
}
