/** Standard Webhooks signing (server/reach/webhooks/signing.ts) against the research's vector and Svix's published one, and the back-off. */
import { describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { backoffDelay, maxAttempts } from '../../server/reach/webhooks/delivery';
import { messageId, newSecret, sign, signedHeaders } from '../../server/reach/webhooks/signing';

describe('signing', () => {
  it('gives the research vector’s signature (key bytes 0x00…0x1f, a UTF-8 body)', () => {
    const body =
      '{"type":"update.published","timestamp":"2023-11-14T22:13:20.000Z","data":{"id":"u1","blogId":"b1","type":"update.published","text":"Grüße 🎉"}}';
    expect(Buffer.byteLength(body)).toBe(147);
    expect(sign('whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=', 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', 1700000000, body)).toBe(
      'v1,0tfat0EvglFUrfxj156IYU6iR7VqihlR6zzSw3NQki8=',
    );
  });

  it('gives Svix’s published example', () => {
    expect(sign('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('is verified by the reference library, with a fresh secret and the current time', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    const body = JSON.stringify({ type: 'webhook.test', timestamp: new Date().toISOString(), data: { text: 'ü' } });
    const headers = signedHeaders(secret, 'msg_x', Math.floor(Date.now() / 1000), body);
    expect(headers['content-type']).toBe('application/json');
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ type: 'webhook.test' });
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow();
  });

  it('gives a delivery the same id for the same job, another for another', () => {
    expect(messageId('wh_a_b_1-0')).toBe(messageId('wh_a_b_1-0'));
    expect(messageId('wh_a_b_1-0')).not.toBe(messageId('wh_a_b_2-0'));
    expect(messageId('wh_a_b_1-0')).toMatch(/^msg_[A-Za-z0-9_-]{27}$/);
  });
});

describe('back-off', () => {
  const retry = { baseMs: 30_000, maxDelayMs: 3_600_000, disableAfterMs: 86_400_000 };
  it('doubles from the base to the cap, within ±20 %', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(retry, n, () => 0.5))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(backoffDelay(retry, 20, () => 0.5)).toBe(3_600_000);
    expect(backoffDelay(retry, 1, () => 0)).toBe(24_000);
    expect(backoffDelay(retry, 1, () => 0.9999)).toBeLessThanOrEqual(36_000);
  });

  /** How long retries last within `attempts`, with every draw at −20 %. */
  const lasting = (settings: typeof retry, attempts: number) => {
    let total = 0;
    for (let n = 1; n < attempts; n++) total += backoffDelay(settings, n, () => 0);
    return total;
  };

  it('keeps trying for longer than the endpoint’s day of failures within the attempts ceiling, whatever the settings', () => {
    expect(maxAttempts(retry)).toBe(56);
    expect(lasting(retry, maxAttempts(retry))).toBeGreaterThan(retry.disableAfterMs);
    // Short delays (the settings allow 100 ms): a fixed ceiling of 100 attempts stopped after 8 seconds.
    const short = { baseMs: 100, maxDelayMs: 100, disableAfterMs: 60_000 };
    expect(lasting(short, 100)).toBeLessThan(short.disableAfterMs);
    expect(lasting(short, maxAttempts(short))).toBeGreaterThan(short.disableAfterMs);
  });
});
