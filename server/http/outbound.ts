/**
 * The one way the service reaches other machines (webhooks, Web Push): an SSRF-safe HTTP client.
 *
 * Hand-written on purpose: no maintained package guards `fetch` (request-filtering-agent and
 * ssrf-req-filter are node:http agents, which `fetch` does not use: azu/request-filtering-agent#23), so
 * this follows docs/research/issue-15-libraries.md §4 and issue-14 §6: an undici `Agent` whose `connect` checks IP literals and whose `lookup` checks EVERY
 * address a name resolves to, so the check and the connection use the same addresses (no DNS
 * rebinding between them). The rule (docs/outbound.md, CONTRACT "Reach"): only public unicast
 * addresses over https, unless the URL's host, exactly as written, is in `allowHosts`; hosts named
 * there may also be plain http.
 */
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, fetch as undiciFetch, type Response as UndiciResponse } from 'undici';

/** The request was not sent (or its redirect not followed) because of the outbound rule. */
export class OutboundRefused extends Error {
  override readonly name = 'OutboundRefused';
  constructor(
    /** Why, for logs and the delivery log: `scheme`, `address`, `redirect`. */
    readonly reason: 'scheme' | 'address' | 'redirect',
    message: string,
  ) {
    super(message);
  }
}

/** The request was allowed but failed: network error, TLS, `timeout`, or `aborted` by the caller's signal. */
export class OutboundFailed extends Error {
  override readonly name = 'OutboundFailed';
  constructor(
    readonly reason: 'timeout' | 'network' | 'aborted',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

export interface OutboundOptions {
  /** Hosts or IPs (lower-case, IPv6 without brackets) exempt from the address check and allowed over http. */
  allowHosts: string[];
  /** The whole request, body read included. @default 10000 */
  timeoutMs?: number;
  /** Bytes of the answer's body kept; the rest is not read. @default 65536 */
  maxBodyBytes?: number;
  /** Redirects followed, each hop checked like the first URL; 0 returns the 3xx as is. @default 0 */
  maxRedirects?: number;
  /** Name resolution (tests inject one). @default dns.lookup with `all: true` */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
  /** Extra TLS settings for the connector (tests: a CA). */
  tls?: { ca?: string | Buffer };
}

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Cuts the request (an `OutboundFailed` with reason `aborted`), e.g. when the service shuts down. */
  signal?: AbortSignal;
}

export interface OutboundResponse {
  status: number;
  headers: Headers;
  /** At most `maxBodyBytes`. */
  body: Buffer;
  /** Whether the body was longer than `maxBodyBytes` and cut. */
  truncated: boolean;
  /** The URL that answered (after redirects). */
  url: string;
}

export interface Outbound {
  send(url: string, init?: OutboundRequest): Promise<OutboundResponse>;
  close(): Promise<void>;
  /**
   * Throws the OutboundRefused that `send` would for this URL's scheme or literal address, without
   * sending anything (endpoints registered by people are refused at once; names are checked when sent).
   */
  check(url: string): void;
  /** The guarded undici Agent itself, for a library that takes a `dispatcher` (each connection checked). */
  dispatcher: Agent;
}

/** Why a registered URL is refused: not a URL, userinfo in it, or what `Outbound.check` refuses now. */
export type RegisteredUrlProblem = 'not-url' | 'userinfo' | 'scheme' | 'address';

/**
 * The checks on a URL registered now to be sent to later (a webhook, a push endpoint): a URL, with no
 * user name or password (it would be logged and shown with the URL), that `check` allows. Returns it
 * parsed; else throws what `refuse` makes of the problem (each route words it for its own field).
 */
export function checkRegisteredUrl(
  outbound: Pick<Outbound, 'check'>,
  raw: string,
  refuse: (problem: RegisteredUrlProblem, refusal?: OutboundRefused) => Error,
): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('not-url');
  }
  if (url.username || url.password) throw refuse('userinfo');
  try {
    outbound.check(url.href);
  } catch (error) {
    if (error instanceof OutboundRefused && error.reason !== 'redirect') throw refuse(error.reason, error);
    throw error;
  }
  return url;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Whether an IP may be reached: only the `unicast` range, IPv4-mapped IPv6 unwrapped first. IPv4-compatible
 * IPv6 (`::/96`, deprecated: `::7f00:1` is 127.0.0.1 to some stacks) is refused: ipaddr.js calls it unicast.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) return false;
  return parsed.range() === 'unicast';
}

const bare = (host: string) => host.toLowerCase().replace(/^\[(.*)\]$/, '$1');

export function createOutbound(options: OutboundOptions): Outbound {
  const allowed = new Set(options.allowHosts.map(bare));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBodyBytes = options.maxBodyBytes ?? 65_536;
  const maxRedirects = options.maxRedirects ?? 0;
  const resolve = options.resolve ?? ((hostname: string) => dns.promises.lookup(hostname, { all: true, verbatim: true }));

  /** Refusal of a host by its literal address, before any connection; undefined if it may go on. */
  const literalRefusal = (host: string): OutboundRefused | undefined => {
    const name = bare(host);
    if (allowed.has(name) || !net.isIP(name) || isPublicAddress(name)) return undefined;
    return new OutboundRefused('address', `${name} is not a public address`);
  };

  /** net/tls `lookup`: resolves, refuses if ANY address is not public (unless the name is allowed). */
  const lookup = (
    hostname: string,
    lookupOptions: dns.LookupOptions,
    callback: (error: Error | null, address: string | dns.LookupAddress[], family?: number) => void,
  ): void => {
    resolve(hostname).then(
      (addresses) => {
        const name = bare(hostname);
        const bad = allowed.has(name) ? undefined : addresses.find((entry) => !isPublicAddress(entry.address));
        if (bad) return callback(new OutboundRefused('address', `${name} resolves to ${bad.address}, not a public address`), '');
        if (!addresses.length) return callback(Object.assign(new Error(`${name} has no address`), { code: 'ENOTFOUND' }), '');
        if (lookupOptions.all) return callback(null, addresses);
        const first = addresses[0]!;
        callback(null, first.address, first.family);
      },
      (error: Error) => callback(error, ''),
    );
  };

  const connector = buildConnector({ lookup, timeout: timeoutMs, ...(options.tls ?? {}) } as buildConnector.BuildOptions);
  const dispatcher = new Agent({
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: (connectOptions, callback) => {
      const refusal = literalRefusal(connectOptions.hostname);
      if (refusal) return process.nextTick(callback, refusal, null);
      connector(connectOptions, callback);
    },
  });

  /** The URL rule, checked for the first URL and every redirect hop. */
  const checkUrl = (raw: string): URL => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundRefused('scheme', `${raw} is not a URL`);
    }
    const host = bare(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowed.has(host)))
      throw new OutboundRefused('scheme', `${url.protocol}//${host} must be https (http only for LIVEBLOG_OUTBOUND_ALLOW_HOSTS)`);
    const refusal = literalRefusal(host);
    if (refusal) throw refusal;
    return url;
  };

  const send = async (raw: string, init: OutboundRequest = {}): Promise<OutboundResponse> => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init.signal ? AbortSignal.any([timeout, init.signal]) : timeout;
    if (init.signal?.aborted) throw new OutboundFailed('aborted', 'the request was cancelled');
    let url = checkUrl(raw);
    let method = init.method ?? 'GET';
    let body = init.body;
    // The body decides Content-Length: the research saw Node 20's fetch refuse the one web-push's
    // generateRequestDetails gives (undici 7's fetch here accepted a correct one; dropping it is harmless).
    let headers = Object.fromEntries(Object.entries(init.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'content-length'));
    try {
      for (let hop = 0; ; hop++) {
        const response = await undiciFetch(url, { method, headers, body, redirect: 'manual', signal, dispatcher });
        const location = response.headers.get('location');
        if (REDIRECTS.has(response.status) && location && maxRedirects > 0) {
          await response.body?.cancel();
          if (hop >= maxRedirects) throw new OutboundRefused('redirect', `more than ${maxRedirects} redirects`);
          const next = checkUrl(new URL(location, url).href);
          if (next.origin !== url.origin) headers = withoutCredentials(headers);
          if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
            method = 'GET';
            body = undefined;
          }
          url = next;
          continue;
        }
        const { bytes, truncated } = await readCapped(response.body, maxBodyBytes);
        return { status: response.status, headers: response.headers as unknown as Headers, body: bytes, truncated, url: url.href };
      }
    } catch (error) {
      throw classify(error, timeout, init.signal);
    }
  };

  return {
    send,
    close: () => dispatcher.close(),
    check: (raw) => void checkUrl(raw),
    dispatcher,
  };
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !/^(authorization|cookie)$/i.test(name)));
}

async function readCapped(stream: UndiciResponse['body'], max: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  if (!stream) return { bytes: Buffer.alloc(0), truncated: false };
  const reader = stream.getReader();
  const chunks: Buffer[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = (await reader.read()) as { done: true; value?: undefined } | { done: false; value: Uint8Array };
    if (done) return { bytes: Buffer.concat(chunks, length), truncated: false };
    const room = max - length;
    chunks.push(Buffer.from(value.buffer, value.byteOffset, Math.min(value.byteLength, room)));
    length += Math.min(value.byteLength, room);
    if (value.byteLength > room) {
      await reader.cancel();
      return { bytes: Buffer.concat(chunks, length), truncated: true };
    }
  }
}

/** A refusal found anywhere in the cause chain; else a cancellation, a timeout or a network failure. */
function classify(error: unknown, timeout: AbortSignal, cancel?: AbortSignal): Error {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof OutboundRefused || cause instanceof OutboundFailed) return cause;
  }
  if (cancel?.aborted) return new OutboundFailed('aborted', 'the request was cancelled', { cause: error });
  if (timeout.aborted) return new OutboundFailed('timeout', 'the request timed out', { cause: error });
  const message = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  return new OutboundFailed('network', message, { cause: error });
}
