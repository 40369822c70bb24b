/**
 * Passwords: Argon2id with OWASP's second setting (19 MiB, 2 passes, 1 lane: about 30 ms here), at
 * least LIMITS.passwordMin characters (NIST SP 800-63B), and never one of the ~49,000 most common
 * passwords (zxcvbn's list), the person's email or name. Strength is judged on what the person typed,
 * length in characters (code points), not bytes.
 */
import argon2 from 'argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import { LIMITS } from '../../shared/limits';
import type { Logger } from '../logger';

const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

let common: Set<string> | null = null;

/** The common-password list, lowercased, built once (about 90 ms) on first use. */
function commonPasswords(): Set<string> {
  common ??= new Set((dictionary['passwords-common'] as string[]).map((word) => word.toLowerCase()));
  return common;
}

/** Why a new password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, person: { email?: string; name?: string } = {}): string | null {
  const length = [...password].length;
  if (length < LIMITS.passwordMin) return `must be at least ${LIMITS.passwordMin} characters`;
  if (length > LIMITS.passwordMax) return `must be at most ${LIMITS.passwordMax} characters`;
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) return 'is one of the most common passwords: choose another';
  const email = person.email?.toLowerCase();
  if (email && (lower === email || lower === email.split('@')[0])) return 'must not be your email address';
  if (person.name && lower === person.name.toLowerCase()) return 'must not be your name';
  return null;
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

/**
 * Whether a stored hash was made with other settings (older, weaker): it is replaced at the next sign-in.
 * Asked only of a hash that has just verified, so a hash it cannot read is a bug: it throws.
 */
export function needsRehash(hash: string): boolean {
  return argon2.needsRehash(hash, ARGON2_OPTIONS);
}

/** A hash of a password nobody has, verified in place of a missing account's so both take as long. */
let dummyHash: Promise<string> | null = null;

/**
 * Whether `password` matches `hash`. With no hash (an unknown email, an account without a password),
 * a dummy hash is verified all the same and the answer is false: the time taken reveals nothing.
 */
export async function verifyPassword(
  hash: string | undefined,
  password: string,
  logger: Pick<Logger, 'error'>,
  personId?: string,
): Promise<boolean> {
  if (!hash) {
    dummyHash ??= hashPassword(`no account ${Math.random()}`);
    await argon2.verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await argon2.verify(hash, password);
  } catch (error) {
    // A stored hash that cannot be read (corrupt, truncated): the person cannot sign in with a password
    // until an admin sends a new invitation. Said at error level (never the hash), so it is seen.
    logger.error({ personId, error: error instanceof Error ? error.message : String(error) }, 'a stored password hash cannot be verified');
    return false;
  }
}
