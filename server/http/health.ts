/** `/healthz` (the process answers), `/readyz` (and so does its store), `/metrics` (Prometheus). */
import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { Timeline } from '../store/timeline';

export function healthRouter(deps: { timeline: Timeline; registry: Registry }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ ok: true });
  });
  router.get('/readyz', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    try {
      await deps.timeline.ping();
      res.json({ ok: true, store: deps.timeline.kind });
    } catch {
      res
        .status(503)
        .json({ ok: false, store: deps.timeline.kind, error: { code: 'store_unavailable', message: 'the store does not answer' } });
    }
  });
  router.get('/metrics', async (_req, res) => {
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  return router;
}
