import { describe, expect, it } from '@jest/globals';
import webpush from 'web-push';
import { DEFAULT_WEBHOOK_RETRY, loadConfig } from '../../server/config';

describe('webhook retry settings', () => {
  it('default to 30 s doubling up to 1 h, disabling after 24 h of failures', () => {
    expect(loadConfig({}).webhookRetry).toEqual({ baseMs: 30_000, maxDelayMs: 3_600_000, disableAfterMs: 86_400_000 });
    expect(DEFAULT_WEBHOOK_RETRY).toEqual(loadConfig({}).webhookRetry);
  });

  it('are read from LIVEBLOG_WEBHOOK_RETRY_BASE_MS, _MAX_MS and LIVEBLOG_WEBHOOK_DISABLE_AFTER_MS', () => {
    const config = loadConfig({
      LIVEBLOG_WEBHOOK_RETRY_BASE_MS: '500',
      LIVEBLOG_WEBHOOK_RETRY_MAX_MS: '4000',
      LIVEBLOG_WEBHOOK_DISABLE_AFTER_MS: '60000',
    });
    expect(config.webhookRetry).toEqual({ baseMs: 500, maxDelayMs: 4000, disableAfterMs: 60_000 });
  });

  it.each([
    ['LIVEBLOG_WEBHOOK_RETRY_BASE_MS', '0', /LIVEBLOG_WEBHOOK_RETRY_BASE_MS must be at least 100/],
    ['LIVEBLOG_WEBHOOK_RETRY_MAX_MS', 'soon', /LIVEBLOG_WEBHOOK_RETRY_MAX_MS must be a whole number/],
    ['LIVEBLOG_WEBHOOK_DISABLE_AFTER_MS', '10', /LIVEBLOG_WEBHOOK_DISABLE_AFTER_MS must be at least 1000/],
  ])('refuses %s=%s, naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});

describe('VAPID settings', () => {
  const keys = webpush.generateVAPIDKeys();

  it('are absent unless given (the service then generates a pair and keeps it in Redis)', () => {
    expect(loadConfig({}).vapid).toBeUndefined();
  });

  it('take a pair made by web-push, and a subject', () => {
    const config = loadConfig({
      LIVEBLOG_VAPID_PUBLIC_KEY: keys.publicKey,
      LIVEBLOG_VAPID_PRIVATE_KEY: keys.privateKey,
      LIVEBLOG_VAPID_SUBJECT: 'mailto:desk@news.example',
    });
    expect(config.vapid).toEqual({ publicKey: keys.publicKey, privateKey: keys.privateKey, subject: 'mailto:desk@news.example' });
  });

  it('refuse half a pair, a key of the wrong size, and a subject that is not mailto: or https:', () => {
    expect(() => loadConfig({ LIVEBLOG_VAPID_PUBLIC_KEY: keys.publicKey })).toThrow(/go together/);
    expect(() => loadConfig({ LIVEBLOG_VAPID_PUBLIC_KEY: keys.privateKey, LIVEBLOG_VAPID_PRIVATE_KEY: keys.privateKey })).toThrow(
      /LIVEBLOG_VAPID_PUBLIC_KEY must be an uncompressed P-256 public key/,
    );
    expect(() => loadConfig({ LIVEBLOG_VAPID_SUBJECT: 'http://news.example' })).toThrow(
      /LIVEBLOG_VAPID_SUBJECT must be a mailto: or https: URL/,
    );
  });
});
