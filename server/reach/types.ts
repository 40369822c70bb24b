/** What the reach features (webhooks, Web Push, figures) are given by createApp, and the tests' knobs. */
import type { Router } from 'express';
import type { VapidSettings, WebhookRetry } from '../config';
import type { Outbound, OutboundOptions } from '../http/outbound';
import type { Guards } from '../http/guards';
import type { Logger } from '../logger';
import type { AuditLog } from '../store/audit';
import type { SharedRedis } from '../store/open';
import type { Timeline } from '../store/timeline';
import type { OutboxHandler } from './outbox';

/** Tests' knobs (production takes the settings). */
export interface ReachOptions {
  /** @default the settings' (30 s, 1 h, 24 h) */
  webhookRetry?: Partial<WebhookRetry>;
  /** How often the outbox looks for events not handed over. @default SWEEP_MS */
  sweepMs?: number;
  /** The outbound client's timeout, TLS CA… (allowHosts comes from the settings). */
  outbound?: Partial<OutboundOptions>;
  /** @default the real clock (webhook failure windows are judged by it) */
  now?: () => Date;
  /** BullMQ's stalled-job check (a worker killed mid-attempt is retried after it). @default 30 s */
  stalledMs?: number;
  /** Web Push: subscriptions per job, pushes and jobs at once, retry delay, caps. @default push/index.ts */
  push?: {
    batchSize?: number;
    concurrency?: number;
    jobsAtOnce?: number;
    retryBaseMs?: number;
    /** One push's timeout. @default 3 s */
    timeoutMs?: number;
    /** How long a batch job sends before handing the rest to a continuation job. @default 5 s */
    sliceMs?: number;
    /** How often a batch re-reads its update while sending (deleted or un-keyed: it stops). @default 1 s */
    recheckMs?: number;
    maxPerBlog?: number;
    subscribesPerMinute?: number;
  };
  /** How often each process writes its reader figures. @default stats/index.ts */
  statsFlushMs?: number;
}

export interface ReachDeps {
  redis: SharedRedis;
  timeline: Timeline;
  logger: Logger;
  guards: Guards;
  audit: AuditLog;
  outbound: Outbound;
  /** The service's public origin (links in pushes). */
  publicOrigin(): string;
  vapid?: VapidSettings;
  webhookRetry: WebhookRetry;
  /** The mail sender, for the default VAPID subject. */
  mailFrom?: string;
  options: ReachOptions;
}

/** A reach feature, as createApp wires it. */
export interface ReachFeature {
  router: Router;
  /** Given every blog's events, once each (outbox.ts). */
  handler: OutboxHandler;
  close(): Promise<void>;
}
