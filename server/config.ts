/** Settings, read from the environment in one place (only main.ts passes `process.env`). */
import { randomBytes } from 'node:crypto';
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
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const adminToken = env.LIVEBLOG_ADMIN_TOKEN?.trim();
  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  if (adminToken !== undefined && adminToken.length > 0 && adminToken.length < 16) {
    throw new Error('LIVEBLOG_ADMIN_TOKEN must be at least 16 characters');
  }
  return {
    port: integer(env.PORT, 'PORT', 3000, 0, 65535),
    host: env.HOST?.trim() || undefined,
    redisUrl: redisUrl(env.REDIS_URL),
    ...(env.LIVEBLOG_PUBLIC_URL?.trim() ? { publicUrl: publicUrl(env.LIVEBLOG_PUBLIC_URL.trim()) } : {}),
    adminToken: adminToken || randomBytes(32).toString('base64url'),
    adminTokenGenerated: !adminToken,
    logLevel,
    redisPrefix: env.LIVEBLOG_REDIS_PREFIX ?? 'lb:',
    historyLength: integer(env.LIVEBLOG_HISTORY_LENGTH, 'LIVEBLOG_HISTORY_LENGTH', 5000, 10, 1_000_000),
    seedDemo: env.LIVEBLOG_DEMO !== '0',
    redisProbeUrl: env.LIVEBLOG_REDIS_PROBE_URL?.trim() || DEFAULT_REDIS_URL,
    embedOrigins: originList(env.LIVEBLOG_EMBED_ORIGINS),
    trustProxy: env.LIVEBLOG_TRUST_PROXY?.trim() || 'loopback',
    ipRequestsPerMinute: integer(env.LIVEBLOG_IP_REQUESTS_PER_MINUTE, 'LIVEBLOG_IP_REQUESTS_PER_MINUTE', 1200, 1, 10_000_000),
    ipConnectionsPerMinute: integer(env.LIVEBLOG_IP_CONNECTIONS_PER_MINUTE, 'LIVEBLOG_IP_CONNECTIONS_PER_MINUTE', 120, 1, 10_000_000),
    ...(env.LIVEBLOG_MIN_REPLICAS?.trim() ? { minReplicas: integer(env.LIVEBLOG_MIN_REPLICAS, 'LIVEBLOG_MIN_REPLICAS', 0, 0, 16) } : {}),
    ...(env.LIVEBLOG_IP_MAX_CONNECTIONS?.trim() ? { ipMaxConnections: integer(env.LIVEBLOG_IP_MAX_CONNECTIONS, 'LIVEBLOG_IP_MAX_CONNECTIONS', 0, 1, 1_000_000) } : {}),
    editorWritesPerMinute: integer(env.LIVEBLOG_EDITOR_WRITES_PER_MINUTE, 'LIVEBLOG_EDITOR_WRITES_PER_MINUTE', 120, 1, 100_000),
  };
}

/** REDIS_URL, checked now so that a typo stops the start with a message naming it. */
function redisUrl(raw: string | undefined): string | undefined {
  const url = raw?.trim();
  if (url && url !== 'memory') parseRedisUrl(url);
  return url || undefined;
}

/** LIVEBLOG_PUBLIC_URL: an http(s) origin, written as URL parsing writes it (no trailing slash, no path). */
function publicUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`LIVEBLOG_PUBLIC_URL: ${raw} is not a URL like https://live.example.com`);
  }
  if (!/^https?:$/.test(url.protocol) || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new Error(`LIVEBLOG_PUBLIC_URL: ${raw} must be an http(s) origin like https://live.example.com, without a path`);
  }
  return url.origin;
}

function integer(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

/** `https://a.example, https://b.example` → the origins; unset or empty → null (any origin). */
function originList(raw: string | undefined): string[] | null {
  const origins = (raw ?? '').split(/[\s,]+/).filter(Boolean);
  for (const origin of origins) {
    if (!/^https?:\/\/[^/]+$/.test(origin.replace(/\/$/, ''))) throw new Error(`LIVEBLOG_EMBED_ORIGINS: ${origin} is not an origin like https://news.example`);
  }
  return origins.length ? origins : null;
}
