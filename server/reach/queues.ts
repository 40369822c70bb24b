/**
 * The job queues outbound deliveries go through (webhooks, Web Push), on BullMQ over the service's Redis:
 * jobs live in Redis, so a delayed retry survives any process's restart, and every process's worker
 * takes jobs from the same queue, so the work spreads over them (docs/webhooks.md).
 *
 * Keys: `<LIVEBLOG_REDIS_PREFIX>q:{<name>}:…`. BullMQ takes the prefix itself (an ioredis `keyPrefix` is
 * refused) and forbids `:` in queue names and job ids; the braces are a Cluster hash tag, so each queue's
 * keys live in one slot (its scripts touch several). Each queue has its own connections: BullMQ's
 * commands may block, which the service's clients (with a command timeout) must not.
 */
import { Queue, Worker, type JobsOptions, type Processor, type WorkerOptions } from 'bullmq';
import type { Logger } from '../logger';
import type { SharedRedis } from '../store/open';
import { closeRedisClient, type RedisClient } from '../store/redis/connection';

export type QueueName = 'webhooks' | 'push';

/** BullMQ refuses `:` in job ids: ids built from ours (cursors, blog ids) use `_` instead. */
export function jobId(...parts: string[]): string {
  return parts.join('_').replace(/:/g, '_');
}

/**
 * A queue, and its worker once started; close() stops both and their connections.
 *
 * `closing` is aborted first thing in close(): a processor passes it to outbound.send so that attempts
 * under way (up to the outbound timeout each) are cut rather than awaited, and puts its job back to be
 * tried again (by another process, or this one's successor) without counting the attempt.
 */
export class JobQueue<T> {
  readonly queue: Queue<T>;
  private worker?: Worker<T>;
  private readonly connections: RedisClient[] = [];
  private readonly stopping = new AbortController();
  readonly closing: AbortSignal = this.stopping.signal;

  constructor(
    private readonly redis: SharedRedis,
    readonly name: QueueName,
    private readonly logger: Logger,
    defaultJobOptions: JobsOptions = {},
  ) {
    const connection = this.connection(redis);
    this.queue = new Queue<T>(`{${name}}`, {
      connection,
      prefix: `${redis.prefix}q`,
      defaultJobOptions: {
        // Finished jobs are kept a while (a re-added id is then recognised and not run twice), not forever.
        removeOnComplete: { age: 24 * 60 * 60, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 60 * 60, count: 10_000 },
        ...defaultJobOptions,
      },
    });
    this.queue.on('error', (error) => logger.error({ err: error, queue: name }, 'job queue error'));
  }

  private connection(redis: SharedRedis): RedisClient {
    const client = redis.queueConnection();
    this.connections.push(client);
    return client;
  }

  /** Starts this process's worker on the queue (once). */
  work(processor: Processor<T>, options: Omit<WorkerOptions, 'connection' | 'prefix'> = {}): Worker<T> {
    if (this.worker) throw new Error(`the ${this.name} queue already has a worker`);
    this.worker = new Worker<T>(`{${this.name}}`, processor, {
      ...options,
      connection: this.connection(this.redis),
      prefix: `${this.redis.prefix}q`,
    });
    this.worker.on('error', (error) => this.logger.error({ err: error, queue: this.name }, 'job worker error'));
    return this.worker;
  }

  async close(): Promise<void> {
    this.stopping.abort();
    // Waits for the processors, which return at once once their sends are cut.
    await this.worker?.close();
    await this.queue.close();
    await Promise.all(this.connections.map((client) => closeRedisClient(client)));
  }
}
