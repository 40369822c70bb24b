/**
 * The SSRF-safe outbound client (server/http/outbound.ts, docs/outbound.md) against a real local
 * server listening on every interface (`::`, dual-stack), so that each refused URL WOULD be answered
 * if the guard let it through: the server counts what reaches it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetch as undiciFetch } from 'undici';
import { createOutbound, OutboundFailed, OutboundRefused, type Outbound } from '../../server/http/outbound';
import { waitFor } from '../helpers/wait';

let server: http.Server;
let port: number;
/** Local addresses of the requests that reached the server. */
let reached: string[] = [];
const clients: Outbound[] = [];

function client(options: Parameters<typeof createOutbound>[0]): Outbound {
  const outbound = createOutbound(options);
  clients.push(outbound);
  return outbound;
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    reached.push(req.socket.localAddress ?? '');
    if (req.url === '/redirect-private') {
      res.writeHead(302, { location: `http://127.0.0.2:${port}/hello` }).end();
    } else if (req.url === '/redirect-private-https') {
      res.writeHead(307, { location: `https://127.0.0.2:${port}/hello` }).end();
    } else if (req.url === '/redirect-loop') {
      res.writeHead(302, { location: '/redirect-loop' }).end();
    } else if (req.url === '/redirect-local') {
      res.writeHead(302, { location: '/hello' }).end();
    } else if (req.url === '/slow') {
      // never answers
    } else if (req.url === '/huge') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 120);
      let sent = 0;
      const pump = () => {
        while (sent < 16 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (sent = Infinity));
      pump();
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '::', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await Promise.all(clients.map((outbound) => outbound.close()));
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  reached = [];
});

async function refusal(promise: Promise<unknown>): Promise<OutboundRefused> {
  const error = await promise.then(
    () => new Error('the request was sent and answered'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(OutboundRefused);
  return error as OutboundRefused;
}

describe('outbound requests are refused', () => {
  it.each([
    ['http://127.0.0.1:P/', 'scheme'],
    ['http://localhost:P/', 'scheme'],
    ['https://127.0.0.1:P/', 'address'],
    ['https://localhost:P/', 'address'],
    ['https://[::1]:P/', 'address'],
    ['https://[::ffff:127.0.0.1]:P/', 'address'],
    ['https://0x7f000001:P/', 'address'],
    ['https://2130706433:P/', 'address'],
    ['https://0.0.0.0:P/', 'address'],
    ['https://[::]:P/', 'address'],
    ['https://10.0.0.1:P/', 'address'],
    ['https://192.168.1.1:P/', 'address'],
    ['https://100.64.0.1:P/', 'address'],
    ['https://[fd00::1]:P/', 'address'],
    ['https://[fe80::1]:P/', 'address'],
    ['https://[64:ff9b::7f00:1]:P/', 'address'],
    // IPv4-compatible IPv6 (::/96, deprecated): ::7f00:1 is 127.0.0.1 to some stacks; ipaddr.js calls it unicast.
    ['https://[::7f00:1]:P/', 'address'],
    ['https://[::127.0.0.1]:P/', 'address'],
    ['https://[::a00:1]:P/', 'address'],
    ['https://224.0.0.1:P/', 'address'],
  ])('%s (%s), without reaching the server', async (raw, reason) => {
    const outbound = client({ allowHosts: [], timeoutMs: 2000 });
    const error = await refusal(outbound.send(raw.replace(':P', `:${port}`)));
    expect(error.reason).toBe(reason);
    expect(reached).toEqual([]);
  });

  it.each([
    'http://127.0.0.1:P/',
    'http://[::1]:P/',
    'http://[::ffff:127.0.0.1]:P/',
    'http://0x7f000001:P/',
    'http://2130706433:P/',
    'http://0.0.0.0:P/',
    'http://10.0.0.1:P/',
  ])('%s over plain http, without reaching the server', async (raw) => {
    const outbound = client({ allowHosts: [], timeoutMs: 2000 });
    const error = await refusal(outbound.send(raw.replace(':P', `:${port}`)));
    expect(error.reason).toBe('scheme');
    expect(reached).toEqual([]);
  });

  it('http://169.254.169.254 (cloud metadata) at once, with no connection attempt', async () => {
    const outbound = client({ allowHosts: [], timeoutMs: 5000 });
    for (const raw of ['http://169.254.169.254/latest/meta-data/', 'https://169.254.169.254/', 'https://[::ffff:169.254.169.254]/']) {
      const started = performance.now();
      await refusal(outbound.send(raw));
      expect(performance.now() - started).toBeLessThan(100);
    }
  });

  it('a public https name whose DNS answers 127.0.0.1 (any one address of several)', async () => {
    const outbound = client({
      allowHosts: [],
      timeoutMs: 2000,
      resolve: async () => [
        { address: '93.184.215.14', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
    });
    const error = await refusal(outbound.send(`https://news.example:${port}/`));
    expect(error.reason).toBe('address');
    expect(error.message).toMatch(/resolves to 127\.0\.0\.1/);
    expect(reached).toEqual([]);
  });

  it('a name whose DNS answers ::ffff:10.0.0.1 (IPv4-mapped IPv6)', async () => {
    const outbound = client({ allowHosts: [], resolve: async () => [{ address: '::ffff:10.0.0.1', family: 6 }] });
    expect((await refusal(outbound.send(`https://hooks.example:${port}/`))).reason).toBe('address');
  });

  it('a redirect from an allowed host to 127.0.0.2, which is never reached', async () => {
    const outbound = client({ allowHosts: ['127.0.0.1'], timeoutMs: 2000, maxRedirects: 3 });
    const error = await refusal(outbound.send(`http://127.0.0.1:${port}/redirect-private`));
    expect(error.reason).toBe('scheme');
    expect(reached).toEqual(['::ffff:127.0.0.1']);
  });

  it('a redirect from an allowed host to https://127.0.0.2: refused for its address, never reached', async () => {
    const outbound = client({ allowHosts: ['127.0.0.1'], timeoutMs: 2000, maxRedirects: 3 });
    const error = await refusal(outbound.send(`http://127.0.0.1:${port}/redirect-private-https`));
    expect(error.reason).toBe('address');
    expect(reached).toEqual(['::ffff:127.0.0.1']);
  });

  it('127.0.0.2 when only 127.0.0.1 is allowed, and 127.0.0.1 when only "localhost" is (hosts exactly as written)', async () => {
    expect((await refusal(client({ allowHosts: ['127.0.0.1'] }).send(`https://127.0.0.2:${port}/`))).reason).toBe('address');
    const byName = client({ allowHosts: ['localhost'], timeoutMs: 2000 });
    expect((await refusal(byName.send(`https://127.0.0.1:${port}/`))).reason).toBe('address');
    expect((await byName.send(`http://localhost:${port}/hello`)).status).toBe(200);
    expect(reached).toHaveLength(1);
  });

  it('by check(), without sending: the scheme and literal addresses, as send() would', () => {
    const outbound = client({ allowHosts: ['127.0.0.1'] });
    const reason = (url: string) => {
      try {
        outbound.check(url);
        return 'allowed';
      } catch (error) {
        return (error as OutboundRefused).reason;
      }
    };
    expect(reason(`http://127.0.0.1:${port}/`)).toBe('allowed');
    expect(reason('https://push.example.com/x')).toBe('allowed');
    expect(reason('http://push.example.com/x')).toBe('scheme');
    expect(reason('not a url')).toBe('scheme');
    expect(reason('https://10.0.0.1/x')).toBe('address');
    expect(reason('https://[::ffff:169.254.169.254]/x')).toBe('address');
    expect(reached).toHaveLength(0);
  });
});

describe('the guarded dispatcher alone (what a hop or another library goes through)', () => {
  it.each(['http://127.0.0.2:P/', 'http://[::1]:P/', 'http://[::ffff:127.0.0.1]:P/', 'http://0.0.0.0:P/', 'http://localhost:P/'])(
    'refuses %s at connect, never reaching the server',
    async (raw) => {
      const outbound = client({ allowHosts: ['127.0.0.1'], timeoutMs: 2000 });
      const error = await undiciFetch(raw.replace(':P', `:${port}`), { dispatcher: outbound.dispatcher }).catch(
        (caught: unknown) => caught,
      );
      expect((error as Error).cause).toBeInstanceOf(OutboundRefused);
      expect(reached).toEqual([]);
    },
  );

  it('lets the allowed 127.0.0.1 through', async () => {
    const outbound = client({ allowHosts: ['127.0.0.1'], timeoutMs: 2000 });
    const answer = await undiciFetch(`http://127.0.0.1:${port}/hello`, { dispatcher: outbound.dispatcher });
    expect(await answer.text()).toBe('hello');
  });
});

describe('outbound requests that are allowed', () => {
  it('reach the allowed 127.0.0.1 over plain http, and only it ("localhost" is another host)', async () => {
    const outbound = client({ allowHosts: ['127.0.0.1'], timeoutMs: 2000 });
    const answer = await outbound.send(`http://127.0.0.1:${port}/hello`, { method: 'POST', body: '{}' });
    expect(answer).toMatchObject({ status: 200, truncated: false });
    expect(answer.body.toString()).toBe('hello');
    await refusal(outbound.send(`http://localhost:${port}/hello`));
  });

  it('do not follow redirects unless asked; when asked, each hop is checked and followed', async () => {
    const manual = client({ allowHosts: ['127.0.0.1'] });
    const answer = await manual.send(`http://127.0.0.1:${port}/redirect-private`);
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe(`http://127.0.0.2:${port}/hello`);
    const following = client({ allowHosts: ['127.0.0.1'], maxRedirects: 2 });
    const followed = await following.send(`http://127.0.0.1:${port}/redirect-local`);
    expect(followed).toMatchObject({ status: 200, url: `http://127.0.0.1:${port}/hello` });
    expect(reached).toHaveLength(3);
  });

  it('follow at most maxRedirects redirects', async () => {
    const outbound = client({ allowHosts: ['127.0.0.1'], timeoutMs: 2000, maxRedirects: 2 });
    expect((await refusal(outbound.send(`http://127.0.0.1:${port}/redirect-loop`))).reason).toBe('redirect');
    expect(reached).toHaveLength(3);
  });

  it('are cut at the timeout when the server does not answer', async () => {
    const outbound = client({ allowHosts: ['127.0.0.1'], timeoutMs: 300 });
    const started = performance.now();
    const error = await outbound.send(`http://127.0.0.1:${port}/slow`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutboundFailed);
    expect((error as OutboundFailed).reason).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('are cut at once by the caller’s signal (reason aborted), before the timeout', async () => {
    const outbound = client({ allowHosts: ['127.0.0.1'], timeoutMs: 5000 });
    const controller = new AbortController();
    const started = performance.now();
    const sending = outbound.send(`http://127.0.0.1:${port}/slow`, { signal: controller.signal }).catch((caught: unknown) => caught);
    await waitFor(() => reached.length === 1, 'the request to reach the server');
    controller.abort();
    const error = await sending;
    expect(error).toBeInstanceOf(OutboundFailed);
    expect((error as OutboundFailed).reason).toBe('aborted');
    expect(performance.now() - started).toBeLessThan(1500);
    // A signal aborted already: nothing is sent.
    const before = reached.length;
    expect(
      (
        (await outbound
          .send(`http://127.0.0.1:${port}/hello`, { signal: controller.signal })
          .catch((caught: unknown) => caught)) as OutboundFailed
      ).reason,
    ).toBe('aborted');
    expect(reached).toHaveLength(before);
  });

  it('read at most maxBodyBytes of a huge answer', async () => {
    const outbound = client({ allowHosts: ['127.0.0.1'], timeoutMs: 5000, maxBodyBytes: 1000 });
    const answer = await outbound.send(`http://127.0.0.1:${port}/huge`);
    expect(answer.body.length).toBe(1000);
    expect(answer.truncated).toBe(true);
  });

  it('report a network failure as OutboundFailed, not as a refusal', async () => {
    const outbound = client({ allowHosts: ['127.0.0.1'], timeoutMs: 2000 });
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await outbound.send(`http://127.0.0.1:${closedPort}/`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutboundFailed);
    expect((error as OutboundFailed).reason).toBe('network');
  });
});
