import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../server/config';

describe('LIVEBLOG_OUTBOUND_ALLOW_HOSTS', () => {
  it('is empty when unset or blank', () => {
    expect(loadConfig({}).outboundAllowHosts).toEqual([]);
    expect(loadConfig({ LIVEBLOG_OUTBOUND_ALLOW_HOSTS: ' ' }).outboundAllowHosts).toEqual([]);
  });

  it('reads hosts and IPs, comma- or space-separated, lower-cased, IPv6 without brackets, once each', () => {
    expect(
      loadConfig({ LIVEBLOG_OUTBOUND_ALLOW_HOSTS: 'Hooks.Newsroom.internal, 127.0.0.1,[::1] localhost,127.0.0.1' }).outboundAllowHosts,
    ).toEqual(['hooks.newsroom.internal', '127.0.0.1', '::1', 'localhost']);
  });

  it.each(['http://hooks.example', 'hooks.example:8080', 'hooks.example/path', '-bad.example', '[::1]:80'])(
    'refuses %s with a message naming the variable',
    (value) => {
      expect(() => loadConfig({ LIVEBLOG_OUTBOUND_ALLOW_HOSTS: value })).toThrow(/LIVEBLOG_OUTBOUND_ALLOW_HOSTS.*is not a host name or IP/);
    },
  );
});
