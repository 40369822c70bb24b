/**
 * Sessions of signed-in people. The cookie carries a random 32-byte secret; the store keeps only its
 * SHA-256 (the session's hash), so a copy of the store signs nobody in. Each session also has a short
 * public id, for the person's own list of sessions ("signed in on these devices"), which ends nothing
 * by itself. A session ends after a spell of inactivity (the caller passes the time to live at every
 * touch) or at its absolute end, whichever comes first, and at once when revoked. The caller's clock
 * judges idleness (`now`): on Redis a session's key expires by itself, in memory it is compared with
 * `now`, so a test can move the clock instead of waiting.
 */
import { randomBytes } from 'node:crypto';
import { byCreation, newSecret, secretHash } from './records';

export interface SessionRecord {
  /** Public id: shown to its owner, never the key of anything that signs in. */
  id: string;
  /** SHA-256 of the cookie's secret, hex. Never logged, never answered. */
  hash: string;
  personId: string;
  createdAt: string;
  lastSeenAt: string;
  /** The absolute end, however active the session. */
  expiresAt: string;
  userAgent?: string;
  address?: string;
}

export interface SessionMeta {
  userAgent?: string;
  address?: string;
}

export interface SessionStore {
  /** A new session; its secret (for the cookie) is returned and kept nowhere. */
  create(
    personId: string,
    meta: SessionMeta,
    now: Date,
    expiresAt: Date,
    ttlMs: number,
  ): Promise<{ secret: string; record: SessionRecord }>;
  /** The session a cookie's secret stands for, or null (unknown, ended, idle too long at `now`). */
  find(secret: string, now: Date): Promise<SessionRecord | null>;
  /** Records activity: lastSeenAt, and the idle expiry pushed back to `ttlMs` from now. */
  touch(hash: string, now: Date, ttlMs: number): Promise<void>;
  /** A person's live sessions at `now`, oldest first. */
  list(personId: string, now: Date): Promise<SessionRecord[]>;
  /** Ends one session by its hash; the record it was, or null. */
  revoke(hash: string): Promise<SessionRecord | null>;
  /** Ends a person's sessions (but `keepHash`); the records ended. */
  revokeAll(personId: string, keepHash?: string): Promise<SessionRecord[]>;
  /** Which of these session hashes are still live. */
  active(hashes: string[]): Promise<Set<string>>;
}

export function newSessionRecord(
  personId: string,
  meta: SessionMeta,
  now: Date,
  expiresAt: Date,
): { secret: string; record: SessionRecord } {
  const secret = newSecret();
  return {
    secret,
    record: {
      id: randomBytes(8).toString('hex'),
      hash: secretHash(secret),
      personId,
      createdAt: now.toISOString(),
      lastSeenAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
      ...(meta.userAgent ? { userAgent: meta.userAgent.slice(0, 300) } : {}),
      ...(meta.address ? { address: meta.address } : {}),
    },
  };
}

/** Sessions in this process's memory, for the in-process store; idleness judged by the caller's `now`. */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, SessionRecord & { idleUntil: number }>();

  async create(personId: string, meta: SessionMeta, now: Date, expiresAt: Date, ttlMs: number) {
    const created = newSessionRecord(personId, meta, now, expiresAt);
    this.sessions.set(created.record.hash, { ...created.record, idleUntil: now.getTime() + ttlMs });
    return created;
  }

  async find(secret: string, now: Date): Promise<SessionRecord | null> {
    return this.live(secretHash(secret), now.getTime());
  }

  async touch(hash: string, now: Date, ttlMs: number): Promise<void> {
    const session = this.sessions.get(hash);
    if (!session) return;
    session.lastSeenAt = now.toISOString();
    session.idleUntil = now.getTime() + ttlMs;
  }

  async list(personId: string, now: Date): Promise<SessionRecord[]> {
    return [...this.sessions.keys()]
      .map((hash) => this.live(hash, now.getTime()))
      .filter((session): session is SessionRecord => session?.personId === personId)
      .sort(byCreation);
  }

  async revoke(hash: string): Promise<SessionRecord | null> {
    const session = this.sessions.get(hash);
    this.sessions.delete(hash);
    return session ? record(session) : null;
  }

  async revokeAll(personId: string, keepHash?: string): Promise<SessionRecord[]> {
    // Idle ones too: whatever is left of the person's sessions goes.
    const ended = [...this.sessions.values()].filter((session) => session.personId === personId && session.hash !== keepHash);
    for (const session of ended) this.sessions.delete(session.hash);
    return ended.map(record).sort(byCreation);
  }

  /** (The periodic check has no clock of its own: an idle session still counts until its next `find`.) */
  async active(hashes: string[]): Promise<Set<string>> {
    return new Set(hashes.filter((hash) => this.sessions.has(hash)));
  }

  private live(hash: string, at: number): SessionRecord | null {
    const session = this.sessions.get(hash);
    if (!session) return null;
    if (session.idleUntil <= at) {
      this.sessions.delete(hash);
      return null;
    }
    return record(session);
  }
}

function record(session: SessionRecord & { idleUntil: number }): SessionRecord {
  const { idleUntil: _idle, ...rest } = session;
  return rest;
}
