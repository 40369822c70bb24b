/**
 * Who else is editing an entry right now. While this desk has an entry's edit form open it says so
 * (`entry:editing`), again on every reconnect and as a heartbeat, so that the server can end a presence
 * that went silent; the server tells the blog's editors who edits each entry (`entry:editors`), and the
 * entry shows "Olena is editing".
 */
import type { ClientSocket } from '../lib/live-feed';
import { SOCKET_EVENTS } from '../../shared/events';
import { editorId } from './realtime';
import type { Session } from './session';

/** How often an open form says again that it is open (the server forgets a silent one). */
const HEARTBEAT_MS = 15_000;

/** "Olena is editing", "Olena and Petro are editing", "Olena, Petro and Ivan are editing". */
export function editingText(names: string[]): string {
  if (!names.length) return '';
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `${list} ${names.length === 1 ? 'is' : 'are'} editing`;
}

export class Presence {
  /** Entries whose edit form is open here, with their blog. */
  private readonly open = new Map<string, string>();
  /** Who else edits each entry, by name. */
  private readonly others = new Map<string, string[]>();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  /** Told when who else edits an entry changed. */
  onChange: (updateId: string, names: string[]) => void = () => undefined;

  constructor(
    private readonly session: Session,
    private readonly socket: ClientSocket,
  ) {
    const me = editorId(session.me);
    socket.on(SOCKET_EVENTS.editors, ({ updateId, editors }) => {
      const names = editors.filter((editor) => editor.id !== me).map((editor) => editor.name);
      if (names.length) this.others.set(updateId, names);
      else this.others.delete(updateId);
      this.onChange(updateId, names);
    });
    socket.on('connect', () => this.announce());
  }

  names(updateId: string): string[] {
    return this.others.get(updateId) ?? [];
  }

  /** This desk opened (true) or closed (false) the edit form of `updateId`. */
  editing(blogId: string, updateId: string, editing: boolean): void {
    if (!this.session.canEdit(blogId)) return;
    if (editing) this.open.set(updateId, blogId);
    else if (!this.open.delete(updateId)) return;
    if (this.socket.connected) this.socket.emit(SOCKET_EVENTS.editing, { blogId, updateId, editing });
    if (this.open.size && !this.heartbeat) this.heartbeat = setInterval(() => this.announce(), HEARTBEAT_MS);
    if (!this.open.size) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  /** Another blog was opened: the forms of this one are gone. */
  closeAll(): void {
    for (const [updateId, blogId] of [...this.open]) this.editing(blogId, updateId, false);
    this.others.clear();
  }

  private announce(): void {
    if (!this.socket.connected) return;
    for (const [updateId, blogId] of this.open) this.socket.emit(SOCKET_EVENTS.editing, { blogId, updateId, editing: true });
  }
}
