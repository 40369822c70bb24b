import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../server/config';

describe('people settings', () => {
  it('are unset by default (the app applies 12 h, 30 days, 10 and 50 failures, no mail)', () => {
    const config = loadConfig({});
    for (const key of [
      'sessionIdleMinutes',
      'sessionMaxDays',
      'signInFailuresPerAccount',
      'signInFailuresPerAddress',
      'smtpUrl',
      'mailFrom',
    ])
      expect(config).not.toHaveProperty(key);
  });

  it('are read when set', () => {
    expect(
      loadConfig({
        LIVEBLOG_SESSION_IDLE_MINUTES: '30',
        LIVEBLOG_SESSION_MAX_DAYS: '7',
        LIVEBLOG_SIGNIN_FAILURES_PER_ACCOUNT: '5',
        LIVEBLOG_SIGNIN_FAILURES_PER_ADDRESS: '100',
        LIVEBLOG_SMTP_URL: ' smtps://desk:secret@mail.example:465 ',
        LIVEBLOG_MAIL_FROM: 'Live desk <desk@news.example>',
      }),
    ).toMatchObject({
      sessionIdleMinutes: 30,
      sessionMaxDays: 7,
      signInFailuresPerAccount: 5,
      signInFailuresPerAddress: 100,
      smtpUrl: 'smtps://desk:secret@mail.example:465',
      mailFrom: 'Live desk <desk@news.example>',
    });
  });

  it.each([
    [{ LIVEBLOG_SESSION_IDLE_MINUTES: '0' }, /^LIVEBLOG_SESSION_IDLE_MINUTES must be at least 1$/],
    [{ LIVEBLOG_SESSION_MAX_DAYS: '400' }, /^LIVEBLOG_SESSION_MAX_DAYS must be at most 365$/],
    [{ LIVEBLOG_SIGNIN_FAILURES_PER_ACCOUNT: 'many' }, /^LIVEBLOG_SIGNIN_FAILURES_PER_ACCOUNT must be a whole number/],
    [{ LIVEBLOG_SMTP_URL: 'mail.example:25' }, /^LIVEBLOG_SMTP_URL must be a URL like smtp:/],
  ])('refuse %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
