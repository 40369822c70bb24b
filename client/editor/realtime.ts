/**
 * Who is me among the editors `entry:editors` names (the server includes the receiver): ids are
 * `person:<id>`, `token:<id>` or `admin` (shared/events.ts).
 */
import type { Me } from '../../shared/schemas';

export function editorId(me: Me): string | null {
  if (me.source === 'admin-token') return 'admin';
  if (!me.id) return null;
  return me.source === 'session' ? `person:${me.id}` : `token:${me.id}`;
}
