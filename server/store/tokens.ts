/**
 * Editor tokens: a name, the blogs they may act on (`*` for all, which also allows creating blogs),
 * and a secret shown once. Only the secret's SHA-256 is kept, so a copy of the store grants nothing.
 * Every request looks its token up in the store: a revoked token stops working at once, on every process.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256 } from '../crypto';

export interface TokenRecord {
  id: string;
  name: string;
  blogs: string[];
  createdAt: string;
  lastUsedAt?: string;
}

export interface TokenStore {
  create(input: { name: string; blogs: string[] }, now: Date): Promise<{ record: TokenRecord; secret: string }>;
  list(): Promise<TokenRecord[]>;
  /** False when there was no such token. */
  revoke(tokenId: string): Promise<boolean>;
  /** The token a secret belongs to (its `lastUsedAt` set to `now`), or null. */
  authenticate(secret: string, now: Date): Promise<TokenRecord | null>;
  /** Which of these token ids still exist (not revoked). */
  active(tokenIds: string[]): Promise<Set<string>>;
}

/** 32 random bytes, with a prefix that lets secret scanners recognise a leaked one. */
export function newSecret(): string {
  return `lb_${randomBytes(32).toString('base64url')}`;
}

export function newTokenId(): string {
  return `tok${randomBytes(6).toString('hex')}`;
}

export function secretHash(secret: string): string {
  return sha256(secret).toString('hex');
}

/** Constant-time comparison of two hex hashes. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

export function byCreation(a: TokenRecord, b: TokenRecord): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id.localeCompare(b.id);
}

/** Tokens in this process's memory, for the in-process store. */
export class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, TokenRecord & { hash: string }>();

  async create(input: { name: string; blogs: string[] }, now: Date) {
    const secret = newSecret();
    const record: TokenRecord = { id: newTokenId(), name: input.name, blogs: [...input.blogs], createdAt: now.toISOString() };
    this.tokens.set(record.id, { ...record, hash: secretHash(secret) });
    return { record, secret };
  }

  async list(): Promise<TokenRecord[]> {
    return [...this.tokens.values()].map(({ hash: _hash, ...record }) => record).sort(byCreation);
  }

  async revoke(tokenId: string): Promise<boolean> {
    return this.tokens.delete(tokenId);
  }

  async active(tokenIds: string[]): Promise<Set<string>> {
    return new Set(tokenIds.filter((id) => this.tokens.has(id)));
  }

  async authenticate(secret: string, now: Date): Promise<TokenRecord | null> {
    const hash = secretHash(secret);
    for (const token of this.tokens.values()) {
      if (sameHash(token.hash, hash)) {
        token.lastUsedAt = now.toISOString();
        const { hash: _hash, ...record } = token;
        return record;
      }
    }
    return null;
  }
}
