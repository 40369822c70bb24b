/**
 * A local push service (RFC 8030), written with node:crypto alone so that it checks the service's
 * web-push independently: every message's VAPID JWT is verified (RFC 8292: ES256, `aud` the endpoint's
 * origin, `exp` within 24 h, `sub` mailto:/https:, `k` the key the service publishes) and its body
 * decrypted (RFC 8291 aes128gcm) with the subscriber's own private key and auth secret.
 *
 * `makeSubscriber()` plays the browser: a P-256 key pair and an auth secret, and an endpoint here.
 * Each endpoint can be told to answer 201 (default), 404, 410, 429 or 500, or to hold its answer.
 */
import { createECDH, createPublicKey, hkdfSync, randomBytes, verify, createDecipheriv } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PushSubscriptionJson {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface Subscriber {
  subscription: PushSubscriptionJson;
  decrypt(body: Buffer): string;
}

export interface VapidClaims {
  aud: string;
  exp: number;
  sub: string;
  /** The `k` of the Authorization header: the service's public key. */
  k: string;
}

export interface ReceivedPush {
  endpoint: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  vapid: VapidClaims;
  /** The status it was answered. */
  status: number;
}

const b64u = (bytes: Buffer) => bytes.toString('base64url');

export function makeSubscriber(endpoint: string): Subscriber {
  const ecdh = createECDH('prime256v1');
  const publicKey = ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    subscription: { endpoint, keys: { p256dh: b64u(publicKey), auth: b64u(auth) } },
    decrypt: (body) => decryptAes128gcm(body, ecdh, publicKey, auth),
  };
}

/** RFC 8291 §3.4 and RFC 8188 §2: the receiver's side. */
export function decryptAes128gcm(body: Buffer, ecdh: ReturnType<typeof createECDH>, uaPublic: Buffer, auth: Buffer): string {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const idLength = body[20]!;
  const asPublic = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  if (record.length > recordSize) throw new Error('more than one record');
  const shared = ecdh.computeSecret(asPublic);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, auth, info, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('no last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}

/** Checks `Authorization: vapid t=<jwt>, k=<key>` for a request to `endpoint`; throws on anything wrong. */
export function verifyVapid(authorization: string | undefined, endpoint: string, now = Date.now()): VapidClaims {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!match) throw new Error(`not a vapid Authorization header: ${authorization}`);
  const [, token, k] = match as unknown as [string, string, string];
  const [headerPart, payloadPart, signature] = token.split('.');
  const header = JSON.parse(Buffer.from(headerPart!, 'base64url').toString()) as { alg?: string; typ?: string };
  if (header.alg !== 'ES256') throw new Error(`alg ${header.alg}`);
  const point = Buffer.from(k, 'base64url');
  if (point.length !== 65 || point[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33)) },
    format: 'jwk',
  });
  const signed = Buffer.from(`${headerPart}.${payloadPart}`);
  if (!verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature!, 'base64url')))
    throw new Error('bad JWT signature');
  const claims = JSON.parse(Buffer.from(payloadPart!, 'base64url').toString()) as Omit<VapidClaims, 'k'>;
  if (claims.aud !== new URL(endpoint).origin) throw new Error(`aud ${claims.aud}`);
  const seconds = now / 1000;
  if (!(claims.exp > seconds && claims.exp <= seconds + 24 * 3600)) throw new Error(`exp ${claims.exp}`);
  if (!/^(mailto:|https:)/.test(claims.sub)) throw new Error(`sub ${claims.sub}`);
  return { ...claims, k };
}

export interface PushService {
  /** http://127.0.0.1:<port> */
  url: string;
  received: ReceivedPush[];
  /** Requests refused for a bad JWT or body (none expected). */
  errors: string[];
  /** Answers this endpoint's pushes with `status` from now on. */
  answer(endpoint: string, status: number): void;
  /** Holds this endpoint's pushes unanswered until the returned release is called. */
  hold(endpoint: string): () => void;
  /** Requests held unanswered now. */
  waiting(): number;
  /** Never answers pushes to endpoints starting with `prefix` (a hostile or broken push service). */
  hang(prefix: string): void;
  /** Answers them again (requests already hanging stay so). */
  unhang(prefix: string): void;
  /** Answers this endpoint's pushes 201 at once, then sends the body a byte every 500 ms, never ending it. */
  trickle(endpoint: string): void;
  /** The pushes an endpoint received, decrypted by `subscriber`. */
  messagesFor(subscriber: Subscriber): unknown[];
  close(): Promise<void>;
}

export async function startPushService(expectedKey?: () => string | undefined): Promise<PushService> {
  const received: ReceivedPush[] = [];
  const errors: string[] = [];
  const statuses = new Map<string, number>();
  const held = new Map<string, Promise<void>>();
  const hanging: string[] = [];
  const trickling = new Set<string>();
  let waiting = 0;
  let url = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const endpoint = url + (req.url ?? '');
      if (hanging.some((prefix) => endpoint.startsWith(prefix))) {
        waiting += 1;
        req.socket.once('close', () => (waiting -= 1));
        return;
      }
      const gate = held.get(endpoint);
      if (gate) {
        waiting += 1;
        await gate;
        waiting -= 1;
      }
      try {
        if (req.method !== 'POST') throw new Error(`method ${req.method}`);
        const vapid = verifyVapid(req.headers.authorization, endpoint);
        const expected = expectedKey?.();
        if (expected && vapid.k !== expected) throw new Error('k is not the service’s public key');
        if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error(`content-encoding ${req.headers['content-encoding']}`);
        if (!req.headers.ttl) throw new Error('no TTL');
        const status = statuses.get(endpoint) ?? 201;
        received.push({ endpoint, headers: req.headers, body: Buffer.concat(chunks), vapid, status });
        if (trickling.has(endpoint)) {
          res.writeHead(status, { 'content-type': 'text/plain' });
          const timer = setInterval(() => res.write('x'), 500);
          res.once('close', () => clearInterval(timer));
          return;
        }
        res.writeHead(status).end();
      } catch (error) {
        errors.push(String(error));
        res.writeHead(400).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    errors,
    answer: (endpoint, status) => statuses.set(endpoint, status),
    hold: (endpoint) => {
      let release!: () => void;
      held.set(endpoint, new Promise<void>((resolve) => (release = resolve)));
      return () => {
        held.delete(endpoint);
        release();
      };
    },
    waiting: () => waiting,
    hang: (prefix) => hanging.push(prefix),
    unhang: (prefix) => {
      if (hanging.includes(prefix)) hanging.splice(hanging.indexOf(prefix), 1);
    },
    trickle: (endpoint) => trickling.add(endpoint),
    messagesFor: (subscriber) =>
      received
        .filter((push) => push.endpoint === subscriber.subscription.endpoint && push.status < 300)
        .map((push) => JSON.parse(subscriber.decrypt(push.body)) as unknown),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
