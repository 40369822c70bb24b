/** Who is asking: the admin (the settings' token) or an editor token, from a bearer secret. */
import { timingSafeEqual } from 'node:crypto';
import { sha256 } from '../crypto';
import type { TokenStore } from '../store/tokens';

export type Principal = { kind: 'admin' } | { kind: 'editor'; tokenId: string; name: string; blogs: string[] };

export interface Authenticator {
  /** The principal a bearer secret stands for, or null for an unknown one. */
  authenticate(secret: string): Promise<Principal | null>;
}

/**
 * The admin token (from the settings) or an editor token (from the store). Hashing both sides first
 * makes the admin comparison constant-time whatever the lengths.
 */
export function createAuthenticator(adminToken: string, tokens: TokenStore): Authenticator {
  const expected = sha256(adminToken);
  return {
    async authenticate(secret) {
      if (timingSafeEqual(sha256(secret), expected)) return { kind: 'admin' };
      const record = await tokens.authenticate(secret, new Date());
      return record ? { kind: 'editor', tokenId: record.id, name: record.name, blogs: record.blogs } : null;
    },
  };
}

/** Who a principal is, as a short stable id (Idempotency-Keys are scoped to it, revocations name it). */
export function principalId(principal: Principal): string {
  return principal.kind === 'admin' ? 'admin' : tokenPrincipalId(principal.tokenId);
}

export function tokenPrincipalId(tokenId: string): string {
  return `token:${tokenId}`;
}

/** Reads the bearer secret of an `Authorization` header. */
export function bearerSecret(header: string | undefined): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? null;
}
