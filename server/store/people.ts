/**
 * People: accounts with an email (lowercased, unique), a name, a role and blogs, a password's Argon2id
 * hash once they chose one, and the one-time links that let them in — an invitation (7 days, single
 * use, replaced by a newer one) and the first-run setup link. Of a link only its secret's SHA-256 is
 * kept, so a copy of the store lets nobody in; a used or expired link is remembered a while longer, so
 * that its page can say "already used" or "expired" rather than "unknown".
 *
 * A change an admin makes carries its audit entry, which the store writes with the change in one step
 * (one script on Redis, in the `{svc}` slot with the service's trail): no change without its entry, no
 * entry without its change. Once a person is activated or has a password set, their pending invitation
 * stops working (it is marked used): a link mailed earlier must not reset a password chosen since.
 */
import { randomBytes } from 'node:crypto';
import type { Role } from '../../shared/permissions';
import type { UserInfo } from '../../shared/schemas';
import type { AuditDraft, MemoryAuditLog } from './audit';
import { byCreation, newSecret, secretHash } from './records';

export interface PersonRecord extends UserInfo {
  /** Argon2id, PHC string. Never leaves the server. */
  passwordHash?: string;
}

export interface NewPerson {
  email: string;
  name: string;
  role: Role;
  blogs: string[];
  /** For an account made with its password (the first-run setup): set in the same write. */
  passwordHash?: string;
  activatedAt?: string;
}

/** The audit entry of a change, from the record it is about (after the change; before it for a removal). */
export type AuditOf = (person: PersonRecord) => AuditDraft;

export type PersonPatch = Partial<
  Pick<PersonRecord, 'name' | 'role' | 'blogs' | 'disabled' | 'lastSignInAt' | 'activatedAt' | 'passwordHash'>
>;

export type LinkKind = 'invite' | 'setup';

/** What a link's secret stands for now. */
export type LinkState =
  | { state: 'valid'; personId?: string; expiresAt: string }
  | { state: 'used' | 'expired' }
  /** Never issued, or replaced by a newer one, or forgotten. */
  | { state: 'unknown' };

export interface PeopleStore {
  /** Null when the email is taken. `audit`: its entry, written with it. */
  create(input: NewPerson, now: Date, audit?: AuditOf): Promise<PersonRecord | null>;
  get(personId: string): Promise<PersonRecord | null>;
  findByEmail(email: string): Promise<PersonRecord | null>;
  list(): Promise<PersonRecord[]>;
  /**
   * The record after the change, or null when there is no such person (a removed person is never
   * brought back by a late change). Setting `activatedAt` or `passwordHash` ends their invitation.
   */
  update(personId: string, patch: PersonPatch, audit?: AuditOf): Promise<PersonRecord | null>;
  /** The removed record (its invitation goes too), or null. */
  remove(personId: string, audit?: AuditOf): Promise<PersonRecord | null>;
  /** A new invitation for the person; their previous one stops working. Its secret, or null when there is no such person. */
  invite(personId: string, now: Date, ttlMs: number, audit?: AuditOf): Promise<string | null>;
  /** A new first-run setup link. Returns its secret. Only the newest works: making one ends the one before. */
  createSetupLink(now: Date, ttlMs: number): Promise<string>;
  linkState(kind: LinkKind, secret: string, now: Date): Promise<LinkState>;
  /** Marks a valid link used, once: the state it had (only one caller ever gets `valid`). */
  useLink(kind: LinkKind, secret: string, now: Date): Promise<LinkState>;
  /**
   * Accepts an invitation in one write: the link marked used, the person's password hash set and
   * (if not yet) their activatedAt, together, so no failure can use up the link without setting the
   * password. The link's state before (only one caller ever gets `valid`) and, when valid, the person after.
   */
  acceptInvite(secret: string, passwordHash: string, now: Date): Promise<{ link: LinkState; person: PersonRecord | null }>;
}

/** How long a used or expired link is remembered, for its page to say what happened. */
export const LINK_MEMORY_MS = 30 * 24 * 60 * 60 * 1000;

export function newPersonId(): string {
  return `p${randomBytes(8).toString('hex')}`;
}

/** The record as an admin sees it: never a password hash. */
export function userInfo(person: PersonRecord): UserInfo {
  const { passwordHash: _hash, ...info } = person;
  return info;
}

/** Whether a patch lets the person in by themselves, so that their invitation has served. */
export function activates(patch: PersonPatch): boolean {
  return patch.activatedAt !== undefined || patch.passwordHash !== undefined;
}

/** Any admin account, enabled or not: while one exists, the first-run link has no use. */
export function isAdmin(person: PersonRecord): boolean {
  return person.role === 'admin';
}

interface StoredLink {
  kind: LinkKind;
  personId?: string;
  expiresAt: string;
  usedAt?: string;
  forgetAt: number;
}

export function stateOf(link: { personId?: string; expiresAt: string; usedAt?: string } | null, now: Date): LinkState {
  if (!link) return { state: 'unknown' };
  if (link.usedAt) return { state: 'used' };
  if (Date.parse(link.expiresAt) <= now.getTime()) return { state: 'expired' };
  return { state: 'valid', expiresAt: link.expiresAt, ...(link.personId ? { personId: link.personId } : {}) };
}

/** People in this process's memory, for the in-process store; changes and their entries in one synchronous step. */
export class MemoryPeopleStore implements PeopleStore {
  private readonly people = new Map<string, PersonRecord & { inviteHash?: string }>();
  private readonly links = new Map<string, StoredLink>();
  private setupHash?: string;

  /** `audit`: the service's trail, appended in the same step as each change. */
  constructor(private readonly audit?: MemoryAuditLog) {}

  async create(input: NewPerson, now: Date, audit?: AuditOf): Promise<PersonRecord | null> {
    const email = input.email.toLowerCase();
    if ([...this.people.values()].some((person) => person.email === email)) return null;
    const person: PersonRecord = { id: newPersonId(), ...input, blogs: [...input.blogs], disabled: false, createdAt: now.toISOString() };
    this.people.set(person.id, { ...person });
    this.record(audit, person);
    return this.copy(person);
  }

  async get(personId: string): Promise<PersonRecord | null> {
    return this.copy(this.people.get(personId));
  }

  async findByEmail(email: string): Promise<PersonRecord | null> {
    const wanted = email.toLowerCase();
    for (const person of this.people.values()) if (person.email === wanted) return this.copy(person);
    return null;
  }

  async list(): Promise<PersonRecord[]> {
    return [...this.people.values()].map((person) => this.copy(person)!).sort(byCreation);
  }

  async update(personId: string, patch: PersonPatch, audit?: AuditOf): Promise<PersonRecord | null> {
    const person = this.people.get(personId);
    if (!person) return null;
    Object.assign(person, patch);
    if (activates(patch) && person.inviteHash) {
      const link = this.links.get(person.inviteHash);
      if (link && !link.usedAt) link.usedAt = patch.activatedAt ?? new Date().toISOString();
    }
    const after = this.copy(person)!;
    this.record(audit, after);
    return after;
  }

  async remove(personId: string, audit?: AuditOf): Promise<PersonRecord | null> {
    const person = this.people.get(personId);
    if (!person) return null;
    this.people.delete(personId);
    if (person.inviteHash) this.links.delete(person.inviteHash);
    const removed = this.copy(person)!;
    this.record(audit, removed);
    return removed;
  }

  async invite(personId: string, now: Date, ttlMs: number, audit?: AuditOf): Promise<string | null> {
    const person = this.people.get(personId);
    if (!person) return null;
    if (person.inviteHash) this.links.delete(person.inviteHash);
    const secret = newSecret();
    const hash = secretHash(secret);
    this.links.set(hash, { kind: 'invite', personId, ...times(now, ttlMs) });
    person.inviteHash = hash;
    this.record(audit, this.copy(person)!);
    return secret;
  }

  async createSetupLink(now: Date, ttlMs: number): Promise<string> {
    const secret = newSecret();
    if (this.setupHash) this.links.delete(this.setupHash);
    this.setupHash = secretHash(secret);
    this.links.set(this.setupHash, { kind: 'setup', ...times(now, ttlMs) });
    return secret;
  }

  async linkState(kind: LinkKind, secret: string, now: Date): Promise<LinkState> {
    return stateOf(this.link(kind, secret), now);
  }

  async useLink(kind: LinkKind, secret: string, now: Date): Promise<LinkState> {
    const link = this.link(kind, secret);
    const state = stateOf(link, now);
    if (link && state.state === 'valid') link.usedAt = now.toISOString();
    return state;
  }

  async acceptInvite(secret: string, passwordHash: string, now: Date): Promise<{ link: LinkState; person: PersonRecord | null }> {
    const link = this.link('invite', secret);
    const state = stateOf(link, now);
    const person = state.state === 'valid' && state.personId ? this.people.get(state.personId) : undefined;
    if (!link || state.state !== 'valid' || !person) return { link: state.state === 'valid' ? { state: 'unknown' } : state, person: null };
    link.usedAt = now.toISOString();
    person.passwordHash = passwordHash;
    person.activatedAt ??= now.toISOString();
    return { link: state, person: this.copy(person) };
  }

  private record(audit: AuditOf | undefined, person: PersonRecord): void {
    if (audit) this.audit?.append('service', audit(person));
  }

  private link(kind: LinkKind, secret: string): StoredLink | null {
    const link = this.links.get(secretHash(secret));
    if (!link || link.kind !== kind || link.forgetAt <= Date.now()) return null;
    return link;
  }

  private copy(person: (PersonRecord & { inviteHash?: string }) | undefined): PersonRecord | null {
    if (!person) return null;
    const { inviteHash: _invite, ...record } = person;
    return { ...record, blogs: [...record.blogs] };
  }
}

function times(now: Date, ttlMs: number): { expiresAt: string; forgetAt: number } {
  const expires = now.getTime() + ttlMs;
  return { expiresAt: new Date(expires).toISOString(), forgetAt: Math.max(expires, Date.now() + ttlMs) + LINK_MEMORY_MS };
}
