/**
 * People: accounts with an email (lowercased, unique), a name, a role and blogs, a password's Argon2id
 * hash once they chose one, and the one-time links that let them in — an invitation (7 days, single
 * use, replaced by a newer one) and the first-run setup link. Of a link only its secret's SHA-256 is
 * kept, so a copy of the store lets nobody in; a used or expired link is remembered a while longer, so
 * that its page can say "already used" or "expired" rather than "unknown".
 */
import { randomBytes } from 'node:crypto';
import type { Role } from '../../shared/permissions';
import type { UserInfo } from '../../shared/schemas';
import { secretHash } from './tokens';

export interface PersonRecord extends UserInfo {
  /** Argon2id, PHC string. Never leaves the server. */
  passwordHash?: string;
}

export interface NewPerson {
  email: string;
  name: string;
  role: Role;
  blogs: string[];
}

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
  /** Null when the email is taken. */
  create(input: NewPerson, now: Date): Promise<PersonRecord | null>;
  get(personId: string): Promise<PersonRecord | null>;
  findByEmail(email: string): Promise<PersonRecord | null>;
  list(): Promise<PersonRecord[]>;
  /** The record after the change, or null when there is no such person. */
  update(personId: string, patch: PersonPatch): Promise<PersonRecord | null>;
  /** The removed record (its invitation goes too), or null. */
  remove(personId: string): Promise<PersonRecord | null>;
  /** A new invitation for the person; their previous one stops working. Returns its secret. */
  invite(personId: string, now: Date, ttlMs: number): Promise<string>;
  /** A new first-run setup link. Returns its secret. */
  createSetupLink(now: Date, ttlMs: number): Promise<string>;
  linkState(kind: LinkKind, secret: string, now: Date): Promise<LinkState>;
  /** Marks a valid link used, once: the state it had (only one caller ever gets `valid`). */
  useLink(kind: LinkKind, secret: string, now: Date): Promise<LinkState>;
}

/** How long a used or expired link is remembered, for its page to say what happened. */
export const LINK_MEMORY_MS = 30 * 24 * 60 * 60 * 1000;

export function newPersonId(): string {
  return `p${randomBytes(8).toString('hex')}`;
}

export function newLinkSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function byCreation(a: PersonRecord, b: PersonRecord): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id.localeCompare(b.id);
}

/** The record as an admin sees it: never a password hash. */
export function userInfo(person: PersonRecord): UserInfo {
  const { passwordHash: _hash, ...info } = person;
  return info;
}

export function isEnabledAdmin(person: PersonRecord): boolean {
  return person.role === 'admin' && !person.disabled;
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

/** People in this process's memory, for the in-process store. */
export class MemoryPeopleStore implements PeopleStore {
  private readonly people = new Map<string, PersonRecord & { inviteHash?: string }>();
  private readonly links = new Map<string, StoredLink>();

  async create(input: NewPerson, now: Date): Promise<PersonRecord | null> {
    if (await this.findByEmail(input.email)) return null;
    const person: PersonRecord = { id: newPersonId(), ...input, blogs: [...input.blogs], disabled: false, createdAt: now.toISOString() };
    this.people.set(person.id, { ...person });
    return person;
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

  async update(personId: string, patch: PersonPatch): Promise<PersonRecord | null> {
    const person = this.people.get(personId);
    if (!person) return null;
    Object.assign(person, patch);
    return this.copy(person);
  }

  async remove(personId: string): Promise<PersonRecord | null> {
    const person = this.people.get(personId);
    if (!person) return null;
    this.people.delete(personId);
    if (person.inviteHash) this.links.delete(person.inviteHash);
    return this.copy(person);
  }

  async invite(personId: string, now: Date, ttlMs: number): Promise<string> {
    const person = this.people.get(personId);
    if (person?.inviteHash) this.links.delete(person.inviteHash);
    const secret = newLinkSecret();
    const hash = secretHash(secret);
    this.links.set(hash, { kind: 'invite', personId, ...times(now, ttlMs) });
    if (person) person.inviteHash = hash;
    return secret;
  }

  async createSetupLink(now: Date, ttlMs: number): Promise<string> {
    const secret = newLinkSecret();
    this.links.set(secretHash(secret), { kind: 'setup', ...times(now, ttlMs) });
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
