import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../server/config';

describe('settings', () => {
  it('have their defaults when unset or blank', () => {
    const config = loadConfig({ PORT: ' ', LOG_LEVEL: '' });
    expect(config).toMatchObject({
      port: 3000,
      logLevel: 'info',
      historyLength: 5000,
      redisPrefix: 'lb:',
      embedOrigins: null,
      trustProxy: 'loopback',
      adminTokenGenerated: true,
    });
    expect(config.minReplicas).toBeUndefined();
    expect(config.publicUrl).toBeUndefined();
  });

  it('are read and normalised', () => {
    const config = loadConfig({
      PORT: '8080',
      REDIS_URL: 'redis-sentinel://s1:26379,s2:26379/mymaster',
      LIVEBLOG_PUBLIC_URL: 'https://live.example.com/',
      LIVEBLOG_EMBED_ORIGINS: 'https://a.example, https://b.example',
      LIVEBLOG_MIN_REPLICAS: '2',
      LIVEBLOG_ADMIN_TOKEN: 'a-long-enough-admin-token',
    });
    expect(config).toMatchObject({
      port: 8080,
      publicUrl: 'https://live.example.com',
      embedOrigins: ['https://a.example', 'https://b.example'],
      minReplicas: 2,
      adminTokenGenerated: false,
    });
  });

  it.each([
    [{ PORT: '70000' }, /^PORT must be at most 65535/],
    [{ LIVEBLOG_HISTORY_LENGTH: 'many' }, /^LIVEBLOG_HISTORY_LENGTH must be a whole number/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of fatal/],
    [{ LIVEBLOG_ADMIN_TOKEN: 'short' }, /^LIVEBLOG_ADMIN_TOKEN must be at least 16 characters/],
    [{ REDIS_URL: 'http://x' }, /^REDIS_URL must start with redis:\/\//],
    [{ REDIS_URL: 'redis-sentinel://s1:26379' }, /^REDIS_URL must name the primary/],
    [{ LIVEBLOG_PUBLIC_URL: 'https://live.example.com/path' }, /^LIVEBLOG_PUBLIC_URL .* without a path/],
    [{ LIVEBLOG_EMBED_ORIGINS: 'news.example' }, /^LIVEBLOG_EMBED_ORIGINS news.example is not an origin/],
    [{ LIVEBLOG_MIN_REPLICAS: '-1' }, /^LIVEBLOG_MIN_REPLICAS must be at least 0/],
  ])('refuse %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
