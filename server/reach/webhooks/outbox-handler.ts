/**
 * The outbox's webhook handler: each logged event becomes one job per endpoint that wants it (its event
 * type and blog), with a job id made from the endpoint and the event's cursor, so an event offered twice
 * (outbox.ts: at least once) is queued once, and its `webhook-id` is the same on every attempt.
 */
import type { JobsOptions } from 'bullmq';
import { ALL, type BlogEvent, type WebhookDelivery } from '../../../shared/schemas';
import type { OutboxHandler } from '../outbox';
import { jobId, type JobQueue } from '../queues';
import type { WebhookJob } from './delivery';
import { messageId } from './signing';
import type { EndpointRecord, WebhookStore } from './store';

/** Whether an endpoint asked for this event (its type and blog); whether it is on is checked apart. */
export function wants(endpoint: EndpointRecord, event: { type: string; blogId: string }): boolean {
  const has = (list: string[], value: string) => list.includes(ALL) || list.includes(value);
  return has(endpoint.events, event.type) && has(endpoint.blogs, event.blogId);
}

export function webhookHandler(deps: { store: WebhookStore; queue: JobQueue<WebhookJob>; now: () => Date }): OutboxHandler {
  return {
    name: 'webhooks',
    async handle(events: BlogEvent[]) {
      const endpoints = (await deps.store.list()).filter((endpoint) => endpoint.enabled);
      if (!endpoints.length) return;
      const createdAt = deps.now().toISOString();
      const logged: { endpointId: string; delivery: WebhookDelivery }[] = [];
      const jobs: { name: string; data: WebhookJob; opts: JobsOptions }[] = [];
      for (const event of events) {
        for (const endpoint of endpoints) {
          if (!wants(endpoint, event)) continue;
          const id = jobId('wh', endpoint.id, event.blogId, event.cursor);
          const deliveryId = messageId(id);
          logged.push({
            endpointId: endpoint.id,
            delivery: { id: deliveryId, event: event.type, blogId: event.blogId, attempts: 0, status: 'pending', createdAt },
          });
          const data: WebhookJob = {
            endpointId: endpoint.id,
            deliveryId,
            type: event.type,
            blogId: event.blogId,
            cursor: event.cursor,
            prev: event.prev,
            ...(event.update?.id || event.updateId ? { updateId: event.update?.id ?? event.updateId } : {}),
          };
          jobs.push({ name: event.type, data, opts: { jobId: id } });
        }
      }
      // Logged first (once per id), so the desk shows it pending while it waits; then queued (once per id).
      await deps.store.addDeliveries(logged);
      if (jobs.length) await deps.queue.queue.addBulk(jobs);
    },
  };
}
