import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { hashPassword, needsRehash, passwordProblem, verifyPassword } from '../../server/auth/passwords';
import { createLogger } from '../../server/logger';

const logged: string[] = [];
const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (logged.push(String(chunk)), done()) }));

describe('a new password', () => {
  it.each([
    ['eleven char', /at least 12/],
    ['x'.repeat(257), /at most 256/],
    ['password1234', /most common/],
    ['QWERTY123456', /most common/],
    ['1qaz2wsx3edc', /most common/],
  ])('%j is refused', (password, why) => {
    expect(passwordProblem(password)).toMatch(why);
  });

  // QA#6: none of these is on the common list (12+ characters), yet each is guessed at once.
  it.each([
    ['qwertyuiopas', /too easy to guess: .*(common|keyboard|rows)/],
    ['aaaaaaaaaaaa', /too easy to guess: avoid repeated characters/],
    ['password123456', /too easy to guess/],
    ['iloveyou1234', /too easy to guess/],
    ['qwertyuiopasdfghjkl', /too easy to guess/],
  ])('%j is refused as too easy to guess, with why in plain words', (password, why) => {
    expect(passwordProblem(password)).toMatch(why);
  });

  it.each(['correct horse battery', 'Kursk-17.45-update!'])('%j is strong enough', (password) => {
    expect(passwordProblem(password)).toBeNull();
  });

  it('is counted in characters, not UTF-16 units or bytes', () => {
    expect(passwordProblem('🔑'.repeat(11))).toMatch(/at least 12/); // 22 UTF-16 units
    expect(passwordProblem('🔑📰🧭🌍🎈🐙🍋🚲🎻🌵🧩🦉')).toBeNull(); // 12 code points, 24 UTF-16 units
    expect(passwordProblem('ключ-від-дверей')).toBeNull();
  });

  it('may not be the person’s email, its local part, or their name (in any case)', () => {
    const person = { email: 'olena.petrenko@newsroom.example', name: 'Olena Petrenko Kyiv' };
    expect(passwordProblem('Olena.Petrenko@newsroom.example', person)).toMatch(/email/);
    expect(passwordProblem('olena.petrenko', person)).toMatch(/email/);
    expect(passwordProblem('OLENA PETRENKO KYIV', person)).toMatch(/name/);
    expect(passwordProblem('olena petrenko writes from kyiv', person)).toBeNull();
  });
});

describe('hashes', () => {
  it('are Argon2id with 19 MiB, 2 passes, 1 lane; verify the right password only', async () => {
    const hash = await hashPassword('correct horse battery staple');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(needsRehash(hash)).toBe(false);
    expect(await verifyPassword(hash, 'correct horse battery staple', logger)).toBe(true);
    expect(await verifyPassword(hash, 'Correct horse battery staple', logger)).toBe(false);
    expect(logged).toEqual([]);
  });

  it('a stored hash that cannot be read says no, and is logged at error level (without the hash)', async () => {
    logged.length = 0;
    const corrupt = '$argon2id$v=19$m=19456,t=2,p=1$broken';
    expect(await verifyPassword(corrupt, 'anything', logger, 'p0123456789abcdef')).toBe(false);
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0])).toMatchObject({
      level: 50,
      personId: 'p0123456789abcdef',
      msg: 'a stored password hash cannot be verified',
    });
    expect(logged[0]).not.toContain('broken');
  });

  it('without an account, verification still does the work of one and says no', async () => {
    await verifyPassword(undefined, 'warm up', logger);
    const started = performance.now();
    expect(await verifyPassword(undefined, 'anything at all', logger)).toBe(false);
    expect(performance.now() - started).toBeGreaterThan(5);
  });
});
