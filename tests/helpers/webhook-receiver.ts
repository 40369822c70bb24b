/**
 * A webhook receiver for tests: an HTTP server on 127.0.0.1 that checks every delivery's signature with
 * the reference implementation (`standardwebhooks`, independent of the service's own signer) and
 * answers as it is told: 2xx, an error status, a redirect, or never (a hang).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { waitFor } from './wait';

export interface ReceivedDelivery {
  id: string;
  timestamp: number;
  signature: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  /** The parsed body when the signature verified; null when it did not. */
  body: { type: string; timestamp: string; data: Record<string, unknown> } | null;
  /** Why verification failed. */
  error?: string;
  /** What this receiver answered. */
  answered: number | 'hang';
  path: string;
  /** When it arrived (ms since the epoch). */
  at: number;
}

/** What to answer a delivery: a status, a redirect, or nothing at all. */
export type Answer = number | { redirect: string; status?: number } | 'hang';

export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedDelivery[];
  /** Sets the secret the deliveries are verified with (the one POST /api/webhooks answered). */
  useSecret(secret: string): void;
  /** Answers the next deliveries with these, in turn; then `fallback`. */
  answerNext(...answers: Answer[]): void;
  /** What to answer once the queued answers are used up. @default 204 */
  fallback: Answer;
  /** Deliveries of this event type (or all), verified or not. */
  of(type?: string): ReceivedDelivery[];
  /** Waits until `count` deliveries matching `filter` arrived. */
  waitFor(count: number, filter?: (delivery: ReceivedDelivery) => boolean, timeoutMs?: number): Promise<ReceivedDelivery[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: { host?: string; secret?: string } = {}): Promise<WebhookReceiver> {
  let verifier = options.secret ? new Webhook(options.secret) : null;
  const queue: Answer[] = [];
  const received: ReceivedDelivery[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    const at = Date.now();
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const answer = queue.shift() ?? receiver.fallback;
      let body: ReceivedDelivery['body'] = null;
      let error: string | undefined;
      try {
        if (!verifier) throw new Error('no secret to verify with');
        body = verifier.verify(raw, req.headers as Record<string, string>) as ReceivedDelivery['body'];
      } catch (caught) {
        error = caught instanceof Error ? caught.message : String(caught);
      }
      received.push({
        id: String(req.headers['webhook-id'] ?? ''),
        timestamp: Number(req.headers['webhook-timestamp']),
        signature: String(req.headers['webhook-signature'] ?? ''),
        headers: req.headers,
        raw,
        body,
        ...(error ? { error } : {}),
        answered: typeof answer === 'object' ? (answer.status ?? 302) : answer,
        path: req.url ?? '/',
        at,
      });
      if (answer === 'hang') return;
      if (typeof answer === 'object') {
        res.writeHead(answer.status ?? 302, { location: answer.redirect }).end();
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const matching = (type?: string) => received.filter((delivery) => !type || JSON.parse(delivery.raw || '{}').type === type);
  const receiver: WebhookReceiver = {
    url: `http://${host}:${port}/hook`,
    port,
    received,
    fallback: 204,
    useSecret: (secret) => {
      verifier = new Webhook(secret);
    },
    answerNext: (...answers) => {
      queue.push(...answers);
    },
    of: matching,
    waitFor: (count, filter = () => true, timeoutMs = 10_000) =>
      waitFor(
        () => {
          const found = received.filter(filter);
          return found.length >= count ? found : null;
        },
        `${count} webhook deliveries`,
        timeoutMs,
      ),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}
