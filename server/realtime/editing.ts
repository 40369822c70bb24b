/**
 * Who has an entry's edit form open right now, for the blog's editors (`entry:editing` in,
 * `entry:editors` out), across processes.
 *
 * Each process keeps its own sockets' editing (in memory: nothing to clean up after a crash) and
 * shares all of it over the bus as one snapshot, at once on every change and again every `shareMs`; a
 * snapshot replaces everything known of that process, so whatever it stopped saying (a closed form, a
 * silent desk it dropped) ends on every process at its next share. A process silent for three shares
 * is dropped (it is gone), and one that closes says so with an empty snapshot. A desk repeats `entry:editing` as a heartbeat: one silent
 * for TTL_MS (a crashed browser, a lost network) is dropped too, and a disconnect drops its socket at
 * once. Memory is bounded: each socket edits at most MAX_PER_SOCKET entries, its events are rate-limited
 * (event-limit.ts), and each entry and socket leaves the maps when it has no one left.
 */
import { z } from 'zod';
import { ERROR_CODES } from '../../shared/codes';
import { editorsRoom, SOCKET_EVENTS, type EditingAck, type Editor } from '../../shared/events';
import { can } from '../../shared/permissions';
import { BlogIdSchema, UPDATE_ID_PATTERN } from '../../shared/schemas';
import { actorOf, principalId } from '../auth/principal';
import type { Bus } from './bus';
import type { LiveServer, LiveSocket } from './context';

export const EditingSchema = z.object({
  blogId: BlogIdSchema,
  updateId: z.string().regex(UPDATE_ID_PATTERN),
  editing: z.boolean(),
});

export interface EditingOptions {
  /** A desk's heartbeat is 15 s: three missed and it is gone. */
  ttlMs: number;
  /** How often each process shares its editors (and drops silent ones). */
  shareMs: number;
}

export const DEFAULT_EDITING: EditingOptions = { ttlMs: 45_000, shareMs: 10_000 };
/** Entries one connection may be editing at once. */
export const MAX_PER_SOCKET = 20;

type EntryKey = string;
const keyOf = (blogId: string, updateId: string): EntryKey => `${blogId}/${updateId}`;
const parseKey = (key: EntryKey) => {
  const at = key.indexOf('/');
  return { blogId: key.slice(0, at), updateId: key.slice(at + 1) };
};

export class EditingPresence {
  /** This process's editors: entry → socket id → who, until when. */
  private readonly local = new Map<EntryKey, Map<string, { editor: Editor; until: number }>>();
  /** Entries each local socket edits. */
  private readonly bySocket = new Map<string, Set<EntryKey>>();
  /** Other processes' editors: process → entry → who; with when that process last shared. */
  private readonly remote = new Map<string, { at: number; entries: Map<EntryKey, Editor[]> }>();
  /** What the local editors' rooms were last told, by entry. */
  private readonly told = new Map<EntryKey, string>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly io: LiveServer,
    private readonly bus: Bus,
    private readonly options: EditingOptions = DEFAULT_EDITING,
  ) {
    bus.onMessage((message, from) => {
      // A message without `entries` comes from an older process (one entry at a time) during a rolling
      // deploy: skipped, so its desks are not shown here until it is replaced (presence only, nothing lost).
      if (message.type === 'editing' && message.entries) this.receive(from, message.entries);
    });
    this.timer = setInterval(() => this.tick(), options.shareMs);
    this.timer.unref();
  }

  /** `entry:editing` from a socket. */
  handle(socket: LiveSocket, payload: unknown): EditingAck {
    const parsed = EditingSchema.safeParse(payload);
    if (!parsed.success) return refuse(ERROR_CODES.invalid, 'send { blogId, updateId, editing } with valid ids');
    const { blogId, updateId, editing } = parsed.data;
    const principal = socket.data.principal;
    if (!principal || !can(principal, 'edit', blogId))
      return refuse(ERROR_CODES.forbidden, `only editors of blog ${blogId} say what they edit`);
    const key = keyOf(blogId, updateId);
    const mine = this.bySocket.get(socket.id) ?? new Set<EntryKey>();
    if (editing) {
      if (!mine.has(key) && mine.size >= MAX_PER_SOCKET) return refuse(ERROR_CODES.invalid, `at most ${MAX_PER_SOCKET} entries at once`);
      const editors = this.local.get(key) ?? new Map();
      const known = editors.has(socket.id);
      editors.set(socket.id, {
        editor: { id: principalId(principal), name: actorOf(principal).name },
        until: Date.now() + this.options.ttlMs,
      });
      this.local.set(key, editors);
      mine.add(key);
      this.bySocket.set(socket.id, mine);
      // A heartbeat changes nothing anyone sees.
      if (!known) this.changed(key);
    } else if (mine.delete(key)) {
      this.forget(key, socket.id);
      if (!mine.size) this.bySocket.delete(socket.id);
      this.changed(key);
    }
    return { ok: true };
  }

  /** A socket went: everything it edited ends now. */
  dropSocket(socketId: string): void {
    const mine = this.bySocket.get(socketId);
    if (!mine) return;
    this.bySocket.delete(socketId);
    for (const key of mine) {
      this.forget(key, socketId);
      this.changed(key);
    }
  }

  /** What a desk joining the blog's editors' room should know: every entry someone edits now. */
  current(blogId: string): { updateId: string; editors: Editor[] }[] {
    const keys = new Set<EntryKey>(this.local.keys());
    for (const { entries } of this.remote.values()) for (const key of entries.keys()) keys.add(key);
    return [...keys]
      .map(parseKey)
      .filter((entry) => entry.blogId === blogId)
      .map(({ updateId }) => ({ updateId, editors: this.editors(keyOf(blogId, updateId)) }))
      .filter(({ editors }) => editors.length > 0);
  }

  /** Drops silent sockets and processes, shares this process's editors, tells rooms of what changed. */
  tick(): void {
    const now = Date.now();
    for (const [key, editors] of this.local) {
      for (const [socketId, { until }] of editors) {
        if (until > now) continue;
        this.bySocket.get(socketId)?.delete(key);
        if (!this.bySocket.get(socketId)?.size) this.bySocket.delete(socketId);
        this.forget(key, socketId);
      }
    }
    for (const [processId, { at }] of this.remote) if (at < now - 3 * this.options.shareMs) this.remote.delete(processId);
    // One snapshot a tick, whether or not anything changed: it is also how others know this process lives.
    this.share();
    for (const key of new Set([...this.told.keys(), ...this.local.keys()])) this.tell(key);
  }

  /** Stops sharing; the other processes forget this one's editors at once rather than after three shares. */
  close(): void {
    clearInterval(this.timer);
    if (this.bus.shared) this.bus.publish({ type: 'editing', entries: {} });
  }

  /** Another process's snapshot: replaces all it said before. */
  private receive(from: string, entries: Record<string, Editor[]>): void {
    const before = this.remote.get(from)?.entries.keys() ?? [];
    const now = new Map<EntryKey, Editor[]>();
    for (const [key, editors] of Object.entries(entries)) if (Array.isArray(editors) && editors.length) now.set(key, editors);
    this.remote.set(from, { at: Date.now(), entries: now });
    for (const key of new Set([...before, ...now.keys()])) this.tell(key);
  }

  private forget(key: EntryKey, socketId: string): void {
    const editors = this.local.get(key);
    editors?.delete(socketId);
    if (editors && !editors.size) this.local.delete(key);
  }

  private changed(key: EntryKey): void {
    this.share();
    this.tell(key);
  }

  /** Tells the other processes everything edited here now (nothing: an empty snapshot). */
  private share(): void {
    if (!this.bus.shared) return;
    const entries: Record<string, Editor[]> = {};
    for (const [key, editors] of this.local) entries[key] = dedupe([...editors.values()].map((e) => e.editor));
    this.bus.publish({ type: 'editing', entries });
  }

  /** Everyone editing `key`, on every process. */
  private editors(key: EntryKey): Editor[] {
    const all = [...(this.local.get(key)?.values() ?? [])].map((entry) => entry.editor);
    const fresh = Date.now() - 3 * this.options.shareMs;
    for (const { at, entries } of this.remote.values()) if (at >= fresh) all.push(...(entries.get(key) ?? []));
    return dedupe(all);
  }

  /** Tells this process's editors of the blog, when the list changed since they were last told. */
  private tell(key: EntryKey): void {
    const editors = this.editors(key);
    const said = JSON.stringify(editors);
    if (this.told.get(key) === said || (!editors.length && !this.told.has(key))) return;
    if (editors.length) this.told.set(key, said);
    else this.told.delete(key);
    const { blogId, updateId } = parseKey(key);
    this.io.local.to(editorsRoom(blogId)).emit(SOCKET_EVENTS.editors, { blogId, updateId, editors });
  }
}

/** One entry per person or token, however many tabs they have open. */
function dedupe(editors: Editor[]): Editor[] {
  const byId = new Map(editors.map((editor) => [editor.id, editor]));
  return [...byId.values()].sort((a, b) => (a.name === b.name ? (a.id < b.id ? -1 : 1) : a.name < b.name ? -1 : 1));
}

function refuse(code: (typeof ERROR_CODES)[keyof typeof ERROR_CODES], message: string): EditingAck {
  return { ok: false, error: { code, message } };
}
