/**
 * Messages between the processes of one deployment: the fast path of events stored by one process to
 * the others' readers, reader counts, new blogs. One sharded pub/sub channel under the deployment's key
 * prefix (`SPUBLISH`/`SSUBSCRIBE`: on a Cluster it lives on one shard instead of being copied to every
 * node; on a lone Redis or behind Sentinel the commands work the same), on a subscriber connection of
 * its own.
 *
 * Pub/sub is at most once: a message sent while a subscriber is cut off is lost. Nothing depends on it
 * alone — every process also reads its followed blogs' logs (feeds.ts), and `onResubscribed` tells the
 * process that it may have missed messages, so that it re-reads what they would have told it.
 *
 * Written here rather than taken from a Socket.IO adapter: `@socket.io/redis-streams-adapter` 0.3 sends
 * these messages with plain PUBLISH, unprefixed and without handling a failure, and no released
 * `@socket.io/redis-adapter` supports sharded pub/sub on an ioredis Cluster (docs/scaling.md).
 */
import { randomBytes } from 'node:crypto';
import type { Editor } from '../../shared/events';
import type { BlogEvent } from '../../shared/schemas';
import type { PendingChange } from '../service/approvals';
import type { Logger } from '../logger';
import type { SharedRedis } from '../store/open';
import { closeRedisClient, type RedisClient } from '../store/redis/connection';

export type BusMessage =
  /** An event stored by the sending process. */
  | { type: 'event'; event: BlogEvent }
  /** A blog was created (the index pages are stale), or may have changed without an event known here. */
  | { type: 'blog'; blogId: string }
  /** The sending process's reader counts by blog (see presence.ts). */
  | { type: 'presence'; counts: Record<string, number> }
  /** A principal (a token) lost its rights: its open connections end (see revocation.ts). */
  | { type: 'revoked'; principal: string }
  /** An approval queue changed (see desk-events.ts). */
  | { type: 'pending'; change: PendingChange }
  /**
   * Everyone with an entry's edit form open on the sending process now, by `<blogId>/<updateId>`: the
   * whole snapshot, replacing the last (see editing.ts). `entries` is absent from older processes.
   */
  | { type: 'editing'; entries?: Record<string, Editor[]> };

interface Envelope {
  from: string;
  message: BusMessage;
}

export interface Bus {
  /** This process's id, as other processes know it. */
  readonly processId: string;
  /** Whether other processes may exist (false on the in-process store). */
  readonly shared: boolean;
  /** Sends to every other process of the deployment; never throws (a failure is logged). */
  publish(message: BusMessage): void;
  /** Messages from the other processes. */
  onMessage(handler: (message: BusMessage, from: string) => void): void;
  /** Called when the subscription is back after a drop: messages sent meanwhile were lost. */
  onResubscribed(handler: () => void): void;
  close(): Promise<void>;
}

/** The bus of a process alone (the in-process store): there is nobody to tell. */
export class LocalBus implements Bus {
  readonly processId = newProcessId();
  readonly shared = false;
  publish(): void {}
  onMessage(): void {}
  onResubscribed(): void {}
  async close(): Promise<void> {}
}

export class RedisBus implements Bus {
  readonly processId = newProcessId();
  readonly shared = true;
  private readonly channel: string;
  private readonly subscriber: RedisClient;
  private readonly handlers: ((message: BusMessage, from: string) => void)[] = [];
  private readonly resubscribed: (() => void)[] = [];
  private publishFailing = false;
  /** The subscription took once; later drops are followed by ioredis's own re-subscription. */
  private subscribed = false;
  private subscribing = false;
  /** Messages may have been missed since the last (re)subscription. */
  private lost = false;
  private closed = false;

  constructor(
    private readonly redis: SharedRedis,
    private readonly logger: Logger,
  ) {
    this.channel = redis.keys.busChannel;
    this.subscriber = redis.subscriber();
    this.subscriber.on('smessage', (channel: string, payload: string) => {
      if (channel === this.channel) this.receive(payload);
    });
    this.subscriber.on('close', () => {
      this.lost = true;
    });
    this.subscriber.on('ready', () => {
      if (!this.subscribed) this.subscribe();
      else if (this.lost) this.recovered();
    });
    this.subscribe();
  }

  publish(message: BusMessage): void {
    const envelope: Envelope = { from: this.processId, message };
    this.redis.client.spublish(this.channel, JSON.stringify(envelope)).then(
      () => {
        if (this.publishFailing) this.logger.info({ channel: this.channel }, 'bus: publishing again');
        this.publishFailing = false;
      },
      (error: unknown) => {
        if (!this.publishFailing)
          this.logger.warn({ err: error, channel: this.channel }, 'bus: could not publish; other processes will read the logs instead');
        this.publishFailing = true;
      },
    );
  }

  onMessage(handler: (message: BusMessage, from: string) => void): void {
    this.handlers.push(handler);
  }

  onResubscribed(handler: () => void): void {
    this.resubscribed.push(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    await closeRedisClient(this.subscriber);
  }

  /** Subscribes for the first time; while Redis is away, again each time the connection is ready. */
  private subscribe(): void {
    if (this.closed || this.subscribed || this.subscribing) return;
    this.subscribing = true;
    const connected = this.subscriber.status === 'wait' ? this.subscriber.connect() : Promise.resolve();
    connected
      .then(() => this.subscriber.ssubscribe(this.channel))
      .then(() => {
        this.subscribed = true;
        if (this.lost) this.recovered();
      })
      .catch((error: unknown) => {
        this.lost = true;
        this.logger.warn({ err: error, channel: this.channel }, 'bus: could not subscribe yet; retrying when redis is back');
      })
      .finally(() => {
        this.subscribing = false;
      });
  }

  private recovered(): void {
    this.lost = false;
    this.logger.info({ channel: this.channel }, 'bus: subscribed again; re-reading what may have been missed');
    for (const handler of this.resubscribed) handler();
  }

  private receive(payload: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch (error) {
      this.logger.error({ err: error, channel: this.channel }, 'bus: unreadable message');
      return;
    }
    if (envelope.from === this.processId) return;
    for (const handler of this.handlers) {
      try {
        handler(envelope.message, envelope.from);
      } catch (error) {
        this.logger.error({ err: error, type: envelope.message.type }, 'bus: handler failed');
      }
    }
  }
}

function newProcessId(): string {
  return randomBytes(6).toString('hex');
}
