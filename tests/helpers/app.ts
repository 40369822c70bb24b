/** Starts the real app on an ephemeral port against a real Redis under a test prefix. */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { createApp, type App, type PeopleOptions } from '../../server/app';
import type { OidcSettings, VapidSettings } from '../../server/config';
import type { ReachOptions } from '../../server/reach/types';
import type { ConnectionLimits } from '../../server/http/connections';
import { createLogger, type Logger } from '../../server/logger';
import type { PictureProcessorOptions } from '../../server/media/process';
import type { MediaStorage } from '../../server/media/storage';
import { LocalMediaStorage } from '../../server/media/storage-local';
import { memoryStores, redisStores, type Stores } from '../../server/store/open';
import { parseRedisUrl } from '../../server/store/redis/connection';
import type { Timeline } from '../../server/store/timeline';
import { freePort } from './process';
import { connectRedis, deletePrefix, TEST_REDIS_URL } from './redis';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface TestServer {
  url: string;
  port: number;
  app: App;
  timeline: Timeline;
  stores: Stores;
  /** Where the app keeps pictures. */
  media: MediaStorage;
  /** The local storage's folder (a fresh temporary one, removed on stop), when the test passed none of its own. */
  mediaDir?: string;
  /** Stops the app and closes its store (the data stays in Redis). */
  stop(): Promise<void>;
}

export interface StartOptions {
  prefix: string;
  /** Reuse a port (to restart "the same" server). @default an ephemeral one */
  port?: number;
  historyLength?: number;
  store?: 'redis' | 'memory';
  redisUrl?: string;
  /** @default 10 000, so that only the rate-limit tests meet the limit */
  editorWritesPerMinute?: number;
  /** @default null (any origin) */
  embedOrigins?: string[] | null;
  ipRequestsPerMinute?: number;
  ipConnectionsPerMinute?: number;
  /** Replicas a write waits for. @default 0 */
  minReplicas?: number;
  /** @default 'loopback' (every test client is then a trusted proxy's, and not capped) */
  trustProxy?: string;
  ipMaxConnections?: number;
  connectionLimits?: Partial<ConnectionLimits>;
  /** People's knobs: a clock to move, shorter lives, lower sign-in limits. */
  people?: PeopleOptions;
  /** Invitations are mailed through this SMTP server. */
  smtpUrl?: string;
  /** @default a silent one (TEST_LOG_LEVEL to hear it) */
  logger?: Logger;
  /** Single sign-on's settings. @default none */
  oidc?: OidcSettings;
  /** LIVEBLOG_PUBLIC_URL (an https one, to test what changes behind a TLS proxy). @default the server's own http address */
  publicUrl?: string;
  /** The media storage (an S3 one). @default a local folder in a fresh temporary directory, removed on stop */
  media?: MediaStorage;
  /** The picture queue's knobs. @default the app's */
  pictureProcessor?: PictureProcessorOptions;
  /** LIVEBLOG_OUTBOUND_ALLOW_HOSTS: local receivers and push services. @default ['127.0.0.1'] */
  outboundAllowHosts?: string[];
  /** LIVEBLOG_VAPID_*. @default keys generated and kept in Redis */
  vapid?: VapidSettings;
  /** Webhooks', push's and figures' knobs (short retries, a clock). */
  reach?: ReachOptions;
}

export async function startServer(options: StartOptions): Promise<TestServer> {
  const logger = options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const historyLength = options.historyLength ?? 5000;
  let stores: Stores;
  if (options.store === 'memory') {
    stores = memoryStores(historyLength);
  } else {
    stores = await redisStores(parseRedisUrl(options.redisUrl ?? TEST_REDIS_URL), logger, {
      prefix: options.prefix,
      historyLength,
      minReplicas: options.minReplicas ?? 0,
    });
  }
  const mediaDir = options.media ? undefined : await mkdtemp(path.join(os.tmpdir(), 'liveblog-test-media-'));
  const media = options.media ?? new LocalMediaStorage(mediaDir!);
  // The port is chosen first, so that the service's public address (its canonical links) can name it.
  const listenPort = options.port ?? (await freePort());
  const app = createApp(
    {
      publicUrl: options.publicUrl ?? `http://127.0.0.1:${listenPort}`,
      adminToken: ADMIN_TOKEN,
      editorWritesPerMinute: options.editorWritesPerMinute ?? 10_000,
      embedOrigins: options.embedOrigins ?? null,
      trustProxy: options.trustProxy ?? 'loopback',
      ...(options.ipMaxConnections ? { ipMaxConnections: options.ipMaxConnections } : {}),
      // Every test client is 127.0.0.1: only the tests of these limits meet them.
      ipRequestsPerMinute: options.ipRequestsPerMinute ?? 1_000_000,
      ipConnectionsPerMinute: options.ipConnectionsPerMinute ?? 1_000_000,
      ...(options.oidc ? { oidc: options.oidc } : {}),
      ...(options.smtpUrl ? { smtpUrl: options.smtpUrl } : {}),
      outboundAllowHosts: options.outboundAllowHosts ?? ['127.0.0.1'],
      ...(options.vapid ? { vapid: options.vapid } : {}),
    },
    {
      stores,
      logger,
      ...(options.connectionLimits ? { connectionLimits: options.connectionLimits } : {}),
      ...(options.people ? { people: options.people } : {}),
      media: { storage: media, ...(options.pictureProcessor ? { processor: options.pictureProcessor } : {}) },
      ...(options.reach ? { reach: options.reach } : {}),
    },
  );
  await new Promise<void>((resolve) => app.server.listen(listenPort, '127.0.0.1', resolve));
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    app,
    timeline: stores.timeline,
    stores,
    media,
    ...(mediaDir ? { mediaDir } : {}),
    stop: async () => {
      await app.close();
      await stores.close();
      await media.close();
      if (mediaDir) await rm(mediaDir, { recursive: true, force: true });
    },
  };
}

/** A Redis connection of the test's own, and a cleanup that deletes only the test's prefix. */
export function prefixCleaner(prefix: string): { redis: Redis; cleanup(): Promise<void> } {
  const redis = connectRedis();
  return {
    redis,
    cleanup: async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
    },
  };
}
