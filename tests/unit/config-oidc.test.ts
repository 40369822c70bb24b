import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../server/config';

const SSO = {
  LIVEBLOG_OIDC_ISSUER: 'https://login.example.com/realms/news',
  LIVEBLOG_OIDC_CLIENT_ID: 'liveblog',
  LIVEBLOG_OIDC_CLIENT_SECRET: 'a-client-secret',
};

describe('single sign-on settings', () => {
  it('are off when unset or blank', () => {
    expect(loadConfig({}).oidc).toBeUndefined();
    expect(loadConfig({ LIVEBLOG_OIDC_ISSUER: ' ', LIVEBLOG_OIDC_CLIENT_ID: '', LIVEBLOG_OIDC_CLIENT_SECRET: '' }).oidc).toBeUndefined();
  });

  it('are read together, the issuer kept as written, the name defaulting to its host', () => {
    expect(loadConfig(SSO).oidc).toEqual({
      issuer: 'https://login.example.com/realms/news',
      clientId: 'liveblog',
      clientSecret: 'a-client-secret',
      name: 'login.example.com',
    });
    expect(loadConfig({ ...SSO, LIVEBLOG_OIDC_NAME: ' Newsroom Login ' }).oidc?.name).toBe('Newsroom Login');
  });

  it.each([
    [{ ...SSO, LIVEBLOG_OIDC_CLIENT_SECRET: '' }, /^single sign-on needs .*: LIVEBLOG_OIDC_CLIENT_SECRET is unset$/],
    [{ LIVEBLOG_OIDC_ISSUER: SSO.LIVEBLOG_OIDC_ISSUER }, /LIVEBLOG_OIDC_CLIENT_ID, LIVEBLOG_OIDC_CLIENT_SECRET are unset$/],
    [{ LIVEBLOG_OIDC_CLIENT_ID: 'x', LIVEBLOG_OIDC_CLIENT_SECRET: 'y' }, /LIVEBLOG_OIDC_ISSUER is unset$/],
    [{ LIVEBLOG_OIDC_NAME: 'Newsroom' }, /^LIVEBLOG_OIDC_NAME is set, but single sign-on needs/],
    [{ ...SSO, LIVEBLOG_OIDC_ISSUER: 'login.example.com' }, /^LIVEBLOG_OIDC_ISSUER login.example.com is not a URL/],
    [{ ...SSO, LIVEBLOG_OIDC_ISSUER: 'ftp://login.example.com' }, /^LIVEBLOG_OIDC_ISSUER .* must be an http\(s\) URL/],
    [{ ...SSO, LIVEBLOG_OIDC_NAME: 'x'.repeat(61) }, /^LIVEBLOG_OIDC_NAME must be at most 60 characters/],
  ])('refuse %j with a message naming the variables', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
