/**
 * `/api/webhooks` (contract "Reach"): admins register endpoints, list them, read their delivery logs,
 * turn them on again, send a test event and remove them. Every change goes on the service's audit trail
 * (never the secret), right after the change, as tokens' do (http/tokens.ts).
 */
import { recordChange } from '../../http/audit';
import { randomBytes } from 'node:crypto';
import { Router, type Response } from 'express';
import { ERROR_CODES } from '../../../shared/codes';
import {
  ALL,
  CreateWebhookSchema,
  PatchWebhookSchema,
  WEBHOOK_TEST_EVENT,
  WEBHOOKS_MAX,
  type Webhook,
  type WebhookDelivery,
} from '../../../shared/schemas';
import { principalOf } from '../../auth/http';
import { actorOf } from '../../auth/principal';
import { HttpError, notFound, parseOr400 } from '../../http/errors';
import type { Guards } from '../../http/guards';
import { jsonBody } from '../../http/json-body';
import { checkRegisteredUrl, type Outbound, type RegisteredUrlProblem } from '../../http/outbound';
import { assertCanManagePeople } from '../../http/roles';
import type { Logger } from '../../logger';
import type { AuditDraft, AuditLog } from '../../store/audit';
import type { Timeline } from '../../store/timeline';
import { jobId } from '../queues';
import { messageId, newSecret } from './signing';
import { ENDPOINT_ID_PATTERN, newEndpointId, publicView, type EndpointRecord, type WebhookStore } from './store';

export interface RoutesDeps {
  store: WebhookStore;
  timeline: Timeline;
  /** Starts sending a test event (delivery.ts testSender), which updates the logged delivery when done. */
  sendTest(endpoint: EndpointRecord, delivery: WebhookDelivery): void;
  guards: Guards;
  audit: AuditLog;
  outbound: Outbound;
  logger: Logger;
  now: () => Date;
}

/** `['*']` when the list names every one; else the names once each. */
const normalised = (list: string[] | undefined): string[] => (!list || list.includes(ALL) ? [ALL] : [...new Set(list)]);

const invalid = (field: string, message: string) =>
  new HttpError(400, ERROR_CODES.invalid, 'the webhook has invalid fields', { [field]: message });

/** Userinfo is refused: a receiver authenticates deliveries by their signature. Else outbound's own words. */
const URL_PROBLEMS: Partial<Record<RegisteredUrlProblem, string>> = {
  'not-url': 'must be an absolute URL',
  userinfo: 'must not hold a user name or password',
};

/** The outbound rule as far as it can be judged now (scheme, literal address); names are checked when sent. */
const checkedUrl = (raw: string, outbound: Outbound): string =>
  checkRegisteredUrl(outbound, raw, (problem, refusal) => invalid('url', URL_PROBLEMS[problem] ?? refusal!.message)).href;

export function webhookRoutes(deps: RoutesDeps): Router {
  const { store, guards } = deps;
  const router = Router();

  // Logged without the endpoint's URL (it may hold a receiver's token), should the entry fail.
  const record = (res: Response, entry: Omit<AuditDraft, 'actor'>) =>
    recordChange(deps, res, entry, 'webhook', ({ action, actor, at, after, before }) => ({
      action,
      actor,
      at,
      webhook: ((after ?? before) as { id?: string } | undefined)?.id,
    }));

  /** The endpoint named by the route, or 404 (an id the store could not have made names none). */
  const endpointOf = async (raw: unknown): Promise<EndpointRecord> => {
    const id = typeof raw === 'string' && ENDPOINT_ID_PATTERN.test(raw) ? raw : null;
    const endpoint = id ? await store.get(id) : null;
    if (!endpoint) throw notFound('webhook');
    return endpoint;
  };

  router.post('/webhooks', guards.signedInWrite, jsonBody, async (req, res) => {
    assertCanManagePeople(res);
    const input = parseOr400(CreateWebhookSchema, req.body, 'webhook');
    const url = checkedUrl(input.url, deps.outbound);
    // A blog id with a typo would match nothing, silently: every one named must exist.
    const blogs = normalised(input.blogs);
    const missing = [];
    for (const blogId of blogs) if (blogId !== ALL && !(await deps.timeline.getBlog(blogId))) missing.push(blogId);
    if (missing.length) throw invalid('blogs', `no blog ${missing.join(', ')}: name existing blogs, or * for all`);
    const endpoint: EndpointRecord = {
      id: newEndpointId(),
      url,
      events: normalised(input.events),
      blogs,
      ...(input.description ? { description: input.description } : {}),
      createdAt: deps.now().toISOString(),
      enabled: true,
      secret: newSecret(),
    };
    if (!(await store.create(endpoint, WEBHOOKS_MAX)))
      throw new HttpError(409, ERROR_CODES.conflict, `there are ${WEBHOOKS_MAX} webhooks already: remove one first`);
    const shown = publicView(endpoint);
    await record(res, { at: endpoint.createdAt, action: 'webhook.created', after: shown });
    // The secret is in this answer and nowhere else the service shows.
    res.status(201).setHeader('Cache-Control', 'no-store');
    res.json({ ...shown, secret: endpoint.secret });
  });

  router.get('/webhooks', guards.signedIn, async (_req, res) => {
    assertCanManagePeople(res);
    const webhooks: Webhook[] = (await store.list()).map(publicView);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ webhooks });
  });

  router.patch('/webhooks/:webhookId', guards.signedInWrite, jsonBody, async (req, res) => {
    assertCanManagePeople(res);
    const before = await endpointOf(req.params.webhookId);
    const { enabled } = parseOr400(PatchWebhookSchema, req.body, 'change');
    if (enabled !== before.enabled) {
      const at = deps.now();
      if (enabled) await store.enable(before.id);
      else await store.disable(before.id, at, `turned off by ${actorOf(principalOf(res)).name}`);
      const after = await endpointOf(before.id);
      await record(res, { at: at.toISOString(), action: 'webhook.changed', before: publicView(before), after: publicView(after) });
      res.json(publicView(after));
      return;
    }
    res.json(publicView(before));
  });

  router.delete('/webhooks/:webhookId', guards.signedInWrite, async (req, res) => {
    assertCanManagePeople(res);
    const endpoint = await endpointOf(req.params.webhookId);
    // Its waiting jobs stay queued, and stop when they run and find no endpoint (delivery.ts).
    if (!(await store.remove(endpoint.id))) throw notFound('webhook');
    await record(res, { at: deps.now().toISOString(), action: 'webhook.removed', before: publicView(endpoint) });
    res.status(204).end();
  });

  router.get('/webhooks/:webhookId/deliveries', guards.signedIn, async (req, res) => {
    assertCanManagePeople(res);
    const endpoint = await endpointOf(req.params.webhookId);
    const deliveries: WebhookDelivery[] = await store.deliveries(endpoint.id);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ deliveries });
  });

  // Send test event: one attempt, at once, to this endpoint only (even one turned off: that is how an admin
  // checks it works again before turning it on).
  router.post('/webhooks/:webhookId/test', guards.signedInWrite, async (req, res) => {
    assertCanManagePeople(res);
    const endpoint = await endpointOf(req.params.webhookId);
    const id = jobId('wh', endpoint.id, 'test', randomBytes(8).toString('hex'));
    const delivery: WebhookDelivery = {
      id: messageId(id),
      event: WEBHOOK_TEST_EVENT,
      attempts: 0,
      status: 'pending',
      createdAt: deps.now().toISOString(),
    };
    await store.addDelivery(endpoint.id, delivery);
    // Sent now, in this process (not queued behind other deliveries); the log entry is updated when done.
    deps.sendTest(endpoint, delivery);
    res.status(202).json(delivery);
  });

  return router;
}
