/**
 * `GET /metrics` (viewer): the Prometheus exposition. It needs a token like every read — a scrape config
 * sets `authorization: { credentials: <viewer token> }` — because device counts and rejection codes describe
 * the fleet; a deployment that scrapes on a private network can still mint a dedicated viewer token for it.
 */
import { Hono } from 'hono';
import type { HttpEnv, HttpServices } from '../http-env.js';
import { createRoleGuard } from '../middleware.js';

export function createMetricsRoutes(services: HttpServices) {
  const requireRole = createRoleGuard(services);
  return new Hono<HttpEnv>().get('/metrics', requireRole('viewer'), async (c) =>
    c.body(await services.prometheus.render(), 200, { 'content-type': services.prometheus.contentType }),
  );
}
