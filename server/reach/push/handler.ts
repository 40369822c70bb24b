/**
 * The outbox's push handler: a published key event (created as one, or edited into one) becomes a
 * fan-out job whose id is the event's (blog, update, cursor): an event handed over twice adds nothing.
 * Each edit of a key event adds its own, which sends nothing when a push of it went out already or
 * another fan-out holds it (store.ts claim), but does fan out when the key event's earlier fan-out
 * sent nothing (it was un-keyed or deleted first) and it is key again.
 */
import type { BlogEvent } from '../../../shared/schemas';
import type { OutboxHandler } from '../outbox';
import type { JobQueue } from '../queues';
import { fanoutJobId, type PushJob } from './jobs';

export function pushHandler(queue: JobQueue<PushJob>): OutboxHandler {
  return {
    name: 'push',
    async handle(events: BlogEvent[]): Promise<void> {
      const keyEvents = events.filter(
        (event) => (event.type === 'update.created' || event.type === 'update.edited') && event.update?.keyEvent === true,
      );
      for (const { blogId, update, cursor } of keyEvents) {
        const updateId = update!.id;
        await queue.queue.add(
          'fanout',
          { kind: 'fanout', blogId, updateId, generation: cursor },
          { jobId: fanoutJobId(blogId, updateId, cursor) },
        );
      }
    },
  };
}
