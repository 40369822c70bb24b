/**
 * Sends one encrypted push per subscription, a bounded number at once, through the service's guarded
 * outbound client's checks and Agent (so the SSRF rule holds: docs/outbound.md). web-push only builds each
 * request (VAPID JWT, RFC 8291 encryption): its own sendNotification speaks https.request, which the
 * guard does not cover (docs/research/issue-15-libraries.md §3).
 *
 * Push services answer in well under a second, and an answer's status is all a push needs: so a push
 * has its own short timeout (`timeoutMs`, 3 s, where webhooks wait 10 s) and its answer's body is never
 * waited for. A host that times out or fails `BREAKER_FAILURES` times in a batch is not tried again in
 * that batch (its remaining subscriptions go to the retry job), and a batch stops starting pushes at
 * its `deadline` (the rest is handed back): one blog's hostile endpoints hold a job slot for seconds,
 * not minutes (jobs.ts).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { request as undiciRequest } from 'undici';
import webpush from 'web-push';
import type { Logger } from '../../logger';
import { OutboundFailed, OutboundRefused, type Outbound } from '../../http/outbound';
import type { StoredSubscription } from './store';
import type { VapidKeys } from './vapid';

/** How long a push service keeps a key event for an offline browser: news an hour old is not news. */
export const PUSH_TTL_SECONDS = 3600;

/**
 * Encrypting a push (an ECDH key pair, HKDF, AES-GCM) takes about a millisecond of this process's one
 * thread. Twenty lanes encrypting as their answers come back kept every other request waiting behind
 * up to twenty of them per Redis round trip: a publish on another blog took 140 ms instead of 9 during a
 * fan-out. So encryptions take turns, one per turn of the event loop, after the I/O that is ready
 * (setImmediate runs after the poll phase): a publish waits for one encryption at most, and a process
 * still sends about a thousand pushes a second. Written here: no library paces CPU work against I/O.
 */
let turns: Promise<unknown> = Promise.resolve();
function inTurn<T>(work: () => T): Promise<T> {
  const run = turns.then(() => nextTurn()).then(work);
  turns = run.catch(() => undefined);
  return run;
}

export interface BatchOutcome {
  /** Accepted by the push service (2xx). */
  accepted: number;
  acceptedIds: string[];
  /** Answered 404 or 410: the subscription is gone (RFC 8030 §7.3), remove it. */
  gone: string[];
  /** 429, 5xx or no answer: worth another try later. */
  retry: string[];
  /** The longest Retry-After a push service asked for, in ms. */
  retryAfterMs: number;
  /** Refused for good (another 4xx, or the outbound rule, or not encryptable). */
  dropped: number;
  /** Answered another 4xx (403 after a VAPID key change, 400, 413…): counted towards removal. */
  refused: string[];
  /** Not tried: the batch's deadline came first (to be sent by a continuation job, at once). */
  rest: string[];
  /** `stillWanted` said no (the update was deleted or un-keyed meanwhile): the rest was not sent. */
  stopped: boolean;
}

/** Timeouts or network failures from one push service's host after which a batch stops trying it. */
export const BREAKER_FAILURES = 5;

/** A push's answer: its status and headers. The body is not read (see sendPush). */
interface PushAnswer {
  status: number;
  headers: { get(name: string): string | null };
}

/**
 * One request, by the outbound client's rule (its URL check, then its guarded Agent, which checks
 * every address it connects to), with push's own timeout, returning as soon as the status is known:
 * the body is drained in the background (bounded, and cut by the same timeout), never waited for.
 */
async function sendPush(
  outbound: Outbound,
  url: string,
  init: { method: string; headers: Record<string, string>; body: Buffer },
  timeoutMs: number,
  /** Aborts the request early: its host's breaker opened meanwhile, or the service is closing. */
  hostGiveUp: AbortSignal,
): Promise<PushAnswer> {
  outbound.check(url);
  // Opened while this push was being encrypted.
  if (hostGiveUp.aborted) throw new OutboundFailed('timeout', 'the push service’s host failed too often in this batch');
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  timer.unref();
  const giveUp = () => controller.abort();
  hostGiveUp.addEventListener('abort', giveUp, { once: true });
  const headers = Object.fromEntries(Object.entries(init.headers).filter(([name]) => name.toLowerCase() !== 'content-length'));
  try {
    const response = await undiciRequest(url, {
      method: init.method as 'POST',
      headers,
      body: init.body,
      signal: controller.signal,
      dispatcher: outbound.dispatcher,
    });
    // Drained in the background so the connection may be reused; the timer still cuts a slow one.
    response.body
      .dump({ limit: 4096 })
      .catch(() => undefined)
      .finally(() => clearTimeout(timer));
    const get = (name: string): string | null => {
      const value = response.headers[name];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    };
    return { status: response.statusCode, headers: { get } };
  } catch (error) {
    clearTimeout(timer);
    for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
      if (cause instanceof OutboundRefused) throw cause;
    }
    if (controller.signal.aborted) throw new OutboundFailed('timeout', 'the push service did not answer in time', { cause: error });
    throw new OutboundFailed('network', error instanceof Error ? error.message : String(error), { cause: error });
  } finally {
    hostGiveUp.removeEventListener('abort', giveUp);
  }
}

export async function sendBatch(deps: {
  outbound: Outbound;
  vapid: VapidKeys;
  subscriptions: Map<string, StoredSubscription>;
  payload: string;
  topic: string;
  concurrency: number;
  /** One push's timeout, connection and answer's status included. */
  timeoutMs: number;
  /** No push is started after this time (Date.now()); the rest is handed back in `rest`. */
  deadline: number;
  /**
   * The service is shutting down (JobQueue.closing): no push is started after it, the rest is handed back
   * in `rest`, and those in flight are cut (tried again later), so that closing never waits for them.
   */
  closing?: AbortSignal;
  /** Whether the message may still go out (re-read every `recheckMs` while sending: a takedown stops it). */
  stillWanted(): Promise<boolean>;
  recheckMs: number;
  logger: Logger;
}): Promise<BatchOutcome> {
  const outcome: BatchOutcome = {
    accepted: 0,
    acceptedIds: [],
    gone: [],
    retry: [],
    retryAfterMs: 0,
    dropped: 0,
    refused: [],
    rest: [],
    stopped: false,
  };
  // The lanes share one re-read at a time; the batch's job read the update just before.
  let checkedAt = Date.now();
  let checking: Promise<boolean> | undefined;
  const wanted = async (): Promise<boolean> => {
    if (outcome.stopped) return false;
    if (!checking && Date.now() - checkedAt < deps.recheckMs) return true;
    checking ??= deps.stillWanted().finally(() => {
      checkedAt = Date.now();
      checking = undefined;
    });
    if (!(await checking)) outcome.stopped = true;
    return !outcome.stopped;
  };
  // Per push service's host: timeouts and network failures in this batch, and what aborts its requests
  // in flight when they reach BREAKER_FAILURES (lanes that moved on to the host's next push meanwhile).
  const failures = new Map<string, number>();
  const breakers = new Map<string, AbortController>();
  const breaker = (host: string): AbortController => {
    let controller = breakers.get(host);
    if (!controller) breakers.set(host, (controller = new AbortController()));
    return controller;
  };
  const { publicKey, privateKey, subject } = deps.vapid;
  const entries = [...deps.subscriptions];
  // The VAPID JWT names the push service's origin (`aud`), not the browser: signed once per origin and
  // batch (web-push would sign one per push, as much CPU as the encryption itself).
  const signed = new Map<string, string>();
  const authorization = (endpoint: string): string => {
    const audience = new URL(endpoint).origin;
    let header = signed.get(audience);
    if (!header) {
      header = String(webpush.getVapidHeaders(audience, subject, publicKey, privateKey, 'aes128gcm').Authorization);
      signed.set(audience, header);
    }
    return header;
  };
  let next = 0;

  const sendOne = async (id: string, subscription: StoredSubscription): Promise<void> => {
    const host = safeHost(subscription.endpoint);
    if ((failures.get(host) ?? 0) >= BREAKER_FAILURES) {
      // The host failed enough in this batch: its pushes wait for the retry job, untried.
      outcome.retry.push(id);
      return;
    }
    try {
      const request = await inTurn(() =>
        webpush.generateRequestDetails(subscription, deps.payload, {
          headers: { Authorization: authorization(subscription.endpoint) },
          TTL: PUSH_TTL_SECONDS,
          urgency: 'high',
          topic: deps.topic,
        }),
      );
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      const response = await sendPush(
        deps.outbound,
        request.endpoint,
        { method: request.method, headers, body: request.body },
        deps.timeoutMs,
        deps.closing ? AbortSignal.any([breaker(host).signal, deps.closing]) : breaker(host).signal,
      );
      if (response.status >= 200 && response.status < 300) {
        outcome.accepted += 1;
        outcome.acceptedIds.push(id);
      } else if (response.status === 404 || response.status === 410) outcome.gone.push(id);
      else if (response.status === 429 || response.status >= 500) {
        outcome.retry.push(id);
        const seconds = Number(response.headers.get('retry-after'));
        if (Number.isFinite(seconds) && seconds > 0) outcome.retryAfterMs = Math.max(outcome.retryAfterMs, seconds * 1000);
      } else {
        outcome.dropped += 1;
        outcome.refused.push(id);
        deps.logger.warn({ host, status: response.status }, 'push: refused by the push service');
      }
    } catch (error) {
      if (error instanceof OutboundFailed && deps.closing?.aborted) {
        // Cut by the shutdown: not the push service's failure; handed back with the rest, to go at once
        // from the next process (a push service that had taken it meanwhile shows it twice: at least once).
        outcome.rest.push(id);
      } else if (error instanceof OutboundFailed) {
        outcome.retry.push(id);
        const count = (failures.get(host) ?? 0) + 1;
        failures.set(host, count);
        if (count === BREAKER_FAILURES) breaker(host).abort();
        // Logged up to the breaker's count: a thousand hanging endpoints make five lines, not a thousand.
        if (count <= BREAKER_FAILURES)
          deps.logger.warn({ host, reason: error.reason }, 'push: the push service did not answer; tried again later');
      } else if (error instanceof OutboundRefused) {
        // A name that resolves to a private address now: the endpoint is not reachable by the rule.
        outcome.gone.push(id);
        deps.logger.warn({ host, reason: error.reason, err: error.message }, 'push: endpoint refused by the outbound rule; removed');
      } else {
        // Keys that do not make a point on the curve, and the like: nothing to retry.
        outcome.dropped += 1;
        deps.logger.warn({ host, err: error }, 'push: could not be encrypted or sent');
      }
    }
  };

  const lane = async (): Promise<void> => {
    while (next < entries.length) {
      if (!(await wanted())) return;
      if (next >= entries.length) return;
      if (Date.now() >= deps.deadline || deps.closing?.aborted) {
        outcome.rest.push(...entries.slice(next).map(([id]) => id));
        next = entries.length;
        return;
      }
      const [id, subscription] = entries[next++]!;
      await sendOne(id, subscription);
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency, entries.length) }, lane));
  return outcome;
}

/** The push service's host, for logs: never the endpoint's path, which is the browser's address there. */
function safeHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return 'invalid';
  }
}
