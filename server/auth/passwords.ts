/**
 * Passwords: Argon2id with OWASP's second setting (19 MiB, 2 passes, 1 lane: about 30 ms here), at
 * least LIMITS.passwordMin characters (NIST SP 800-63B), and never one of the ~49,000 most common
 * passwords (zxcvbn's list), the person's email or name, nor one zxcvbn-ts judges easy to guess (score
 * below 3: a keyboard row, a run of one character, a common word with digits...). Only 308 of the
 * list's words have 12 characters or more, so the list alone lets `qwertyuiopas` through; the estimate
 * does not. Strength is judged on what the person typed, length in characters (code points), not bytes.
 */
import argon2 from 'argon2';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { LIMITS } from '../../shared/limits';
import type { Logger } from '../logger';

const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

let common: Set<string> | null = null;

/** The common-password list, lowercased, built once (about 90 ms) on first use. */
function commonPasswords(): Set<string> {
  common ??= new Set((dictionary['passwords-common'] as string[]).map((word) => word.toLowerCase()));
  return common;
}

/** zxcvbn-ts scores 0 (guessed at once) to 4; below this a password is refused. */
export const MIN_STRENGTH = 3;

let estimator: ZxcvbnFactory | null = null;

/** Built once, on first use (about 35 ms); a check then takes 1–30 ms, longest for long dictionary-like input. */
function strength(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({ dictionary: { ...dictionary }, graphs: adjacencyGraphs });
  return estimator;
}

/** zxcvbn-ts's warnings, in the words the pages and the desk show ("The password is too easy to guess: …"). */
const WHY_WEAK: Record<string, string> = {
  straightRow: 'avoid rows of keys on the keyboard',
  keyPattern: 'avoid keyboard patterns',
  simpleRepeat: 'avoid repeated characters',
  extendedRepeat: 'avoid repeated groups of characters',
  sequences: 'avoid sequences like abc or 6543',
  recentYears: 'avoid recent years',
  dates: 'avoid dates',
  topTen: 'it is among the most used passwords',
  topHundred: 'it is among the most used passwords',
  common: 'it is a commonly used password',
  similarToCommon: 'it is too like a common password',
  wordByItself: 'a single word is easy to guess',
  namesByThemselves: 'names on their own are easy to guess',
  commonNames: 'common names are easy to guess',
  userInputs: 'avoid your name and email',
  pwned: 'it has appeared in a data breach',
};

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
  const { score, feedback } = strength().check(
    password,
    [person.email, person.name].filter((s): s is string => !!s),
  );
  if (score < MIN_STRENGTH) {
    const why = (feedback.warning && WHY_WEAK[feedback.warning]) || 'avoid repeated characters, keyboard rows and common words';
    return `is too easy to guess: ${why}`;
  }
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
