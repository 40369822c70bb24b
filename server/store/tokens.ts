/**
 * Editor tokens: a name, the blogs they may act on (`*` for all, which also allows creating blogs),
 * and a secret shown once. Only the secret's SHA-256 is kept, so a copy of the store grants nothing.
 * Every request looks its token up in the store: a revoked token stops working at once, on every process.
 */
import { randomBytes } from 'node:crypto';
import { byCreation, newSecret, sameHash, secretHash } from './records';

// (auth/oidc.ts reads it from here.)
export { secretHash } from './records';

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
export function newTokenSecret(): string {
  return `lb_${newSecret()}`;
}

export function newTokenId(): string {
  return `tok${randomBytes(6).toString('hex')}`;
}

/** Tokens in this process's memory, for the in-process store. */
export class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, TokenRecord & { hash: string }>();

  async create(input: { name: string; blogs: string[] }, now: Date) {
    const secret = newTokenSecret();
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
