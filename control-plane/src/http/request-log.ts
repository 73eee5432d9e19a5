/**
 * Structured request logs: one pino line per answered HTTP request with the method, the route pattern
 * (`/v1/rollouts/:id`, low-cardinality, also the Prometheus label), the concrete path, the status, the
 * duration and the authenticated actor — and the rollout or device id when the path names one, so
 * `jq 'select(.rolloutId=="…")'` follows a rollout across HTTP, orchestrator and ingest logs (STYLE.md §15).
 * Reads and scrapes log at debug, mutations and failures at info/warn.
 */
import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import type { Prometheus } from '../observability/prometheus.js';
import type { HttpEnv } from './http-env.js';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function subjectOf(path: string): Record<string, string> {
  const rollout = /^\/v1\/rollouts\/([^/]+)/.exec(path);
  if (rollout?.[1] !== undefined) return { rolloutId: rollout[1] };
  const device = /^\/v1\/devices\/([^/]+)/.exec(path);
  if (device?.[1] !== undefined) return { deviceId: device[1] };
  return {};
}

export function requestLog(options: { logger: Logger; prometheus: Prometheus }): MiddlewareHandler<HttpEnv> {
  const { logger, prometheus } = options;
  return createMiddleware<HttpEnv>(async (c, next) => {
    const startedAt = performance.now();
    await next();
    const matched = routePath(c, -1);
    const route = matched === '*' || matched === '/*' ? 'unmatched' : matched;
    const status = c.res.status;
    prometheus.countHttpRequest({ method: c.req.method, route, status });
    const line = {
      method: c.req.method,
      route,
      path: c.req.path,
      status,
      durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
      actor: c.var.actor?.name ?? null,
      ...subjectOf(c.req.path),
    };
    if (status >= 500) logger.error(line, 'http request');
    else if (status >= 400) logger.warn(line, 'http request');
    else if (READ_METHODS.has(c.req.method)) logger.debug(line, 'http request');
    else logger.info(line, 'http request');
  });
}
