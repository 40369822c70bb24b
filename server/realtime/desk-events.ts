/**
 * The approval queue, live on the desks: a change goes to the blog's editors (room `editors:<blogId>`)
 * and to the contributor whose entry it is (room `person:<personId>`), on this process and, over the
 * bus, on every other. Readers' rooms never hear of it. The bus is at most once: a desk that
 * reconnects reads `GET /pending` again.
 */
import { editorsRoom, personRoom, SOCKET_EVENTS, type PendingEvent } from '../../shared/events';
import type { PendingChange } from '../service/approvals';
import type { Bus } from './bus';
import type { LiveServer } from './context';

export function startDeskEvents(deps: { io: LiveServer; bus: Bus }): { pendingChanged(change: PendingChange): void } {
  const { io, bus } = deps;
  const tell = (change: PendingChange) => {
    const { blogId } = change;
    const payload: PendingEvent = 'entry' in change ? { blogId, entry: change.entry } : { blogId, removedId: change.removedId };
    const submitterId = 'entry' in change ? change.entry.submittedBy.id : change.submitterId;
    // One emit to both rooms: a contributor who is also in the editors' room gets it once.
    io.local.to([editorsRoom(blogId), personRoom(submitterId)]).emit(SOCKET_EVENTS.pending, payload);
  };
  bus.onMessage((message) => {
    if (message.type === 'pending') tell(message.change);
  });
  return {
    pendingChanged: (change) => {
      tell(change);
      bus.publish({ type: 'pending', change });
    },
  };
}
