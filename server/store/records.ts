/**
 * What every store of records (people, sessions, tokens, one-time links) shares: random secrets, the
 * hashes the stores keep instead of them, and the order lists come in.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256 } from '../crypto';

/** A random 32-byte secret, base64url: a session cookie's, an invitation's or a setup link's. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether a value has the shape of `newSecret()`: anything else was never ours, and is not worth a lookup. */
export function isSecretShape(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

/** What a store keeps of a secret: its SHA-256, hex. A copy of the store lets nobody in. */
export function secretHash(secret: string): string {
  return sha256(secret).toString('hex');
}

/** Constant-time comparison of two hex hashes. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Oldest first; records made in the same millisecond by id, so a list's order never changes. */
export function byCreation<T extends { createdAt: string; id: string }>(a: T, b: T): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id.localeCompare(b.id);
}
