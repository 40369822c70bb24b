/**
 * Who is asking: the admin token (from the settings) or an editor token, from a bearer secret; or a
 * signed-in person, from the session cookie (auth/people-auth.ts makes their principal). How principals
 * are named (revocation, rate limits) and shown (audit actors) is here too.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { sha256 } from '../crypto';
import type { TokenStore } from '../store/tokens';
import type { Role } from '../../shared/permissions';
import type { Actor } from '../../shared/schemas';

/** Who is asking: the admin token (from the settings), an editor token (scripts), or a signed-in person. */
export type Principal = AdminTokenPrincipal | TokenPrincipal | PersonPrincipal;

export interface AdminTokenPrincipal {
  kind: 'admin';
  source: 'admin-token';
}

export interface TokenPrincipal {
  kind: 'editor';
  source: 'token';
  tokenId: string;
  name: string;
  blogs: string[];
}

/** A person signed in with a session cookie (password or single sign-on). */
export interface PersonPrincipal {
  kind: Role;
  source: 'session';
  personId: string;
  name: string;
  email: string;
  blogs: string[];
  /** The session's id as stored (a hash of the cookie's secret: never the secret itself). */
  sessionId: string;
}

export interface Authenticator {
  /** The principal a bearer secret stands for, or null for an unknown one. */
  authenticate(secret: string): Promise<Principal | null>;
  /** Cookie sign-in, when people can sign in (see auth/people-auth.ts and auth/http.ts). */
  sessions?: {
    /** The signed-in person a request's or handshake's session cookie stands for, or null. */
    principal(headers: IncomingHttpHeaders): Promise<PersonPrincipal | null>;
    /** LIVEBLOG_PUBLIC_URL's origin; unset, the `Host` a request came to stands for the service. */
    publicUrl?: string;
  };
}

/**
 * The admin token (from the settings) or an editor token (from the store). Hashing both sides first
 * makes the admin comparison constant-time whatever the lengths.
 */
export function createAuthenticator(adminToken: string, tokens: TokenStore): Authenticator {
  const expected = sha256(adminToken);
  return {
    async authenticate(secret) {
      if (timingSafeEqual(sha256(secret), expected)) return { kind: 'admin', source: 'admin-token' };
      const record = await tokens.authenticate(secret, new Date());
      return record ? { kind: 'editor', source: 'token', tokenId: record.id, name: record.name, blogs: record.blogs } : null;
    },
  };
}

/** Who a principal is, as a short stable id (Idempotency-Keys are scoped to it, revocations name it). */
export function principalId(principal: Principal): string {
  if (principal.source === 'admin-token') return 'admin';
  return principal.source === 'token' ? tokenPrincipalId(principal.tokenId) : personPrincipalId(principal.personId);
}

export function personPrincipalId(personId: string): string {
  return `person:${personId}`;
}

/** Who did something, as the audit trail records it. */
export function actorOf(principal: Principal): Actor {
  if (principal.source === 'admin-token') return { kind: 'admin-token', name: 'Admin token' };
  if (principal.source === 'token') return { kind: 'token', id: principal.tokenId, name: principal.name };
  return { kind: 'person', id: principal.personId, name: principal.name };
}

export function tokenPrincipalId(tokenId: string): string {
  return `token:${tokenId}`;
}

/** Reads the bearer secret of an `Authorization` header. */
export function bearerSecret(header: string | undefined): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? null;
}
