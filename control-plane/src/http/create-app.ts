/**
 * The Hono app of the control plane's HTTP API. One `onError` maps every EdgefleetError code to its HTTP
 * status through protocol's table (`httpStatusOf`) with the body `{ error: { code, message, details? } }`;
 * anything else is logged and answered 500 INTERNAL without leaking internals. JSON bodies are capped at
 * 1 MiB; model uploads have their own limit in the model routes.
 */
import { EdgefleetError, httpStatusOf } from '@edgefleet/protocol';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';
import { ControlPlaneError } from '../errors.js';
import type { HttpEnv, HttpServices } from './http-env.js';
import { requestLog } from './request-log.js';
import { createAdminRoutes } from './routes/admin-routes.js';
import { createDashboardRoutes } from './routes/dashboard-routes.js';
import { createDeviceRoutes } from './routes/device-routes.js';
import { createDriftRoutes } from './routes/drift-routes.js';
import { createEnrolmentRoutes } from './routes/enrolment-routes.js';
import { createEventRoutes } from './routes/event-routes.js';
import { createFlRoutes } from './routes/fl-routes.js';
import { createMetricsRoutes } from './routes/metrics-routes.js';
import { createModelRoutes } from './routes/model-routes.js';
import { createOpenApiRoutes } from './routes/openapi-routes.js';
import { createRolloutRoutes } from './routes/rollout-routes.js';

const JSON_BODY_LIMIT_BYTES = 1024 * 1024;
/** Routes with their own (larger) body limit: model uploads, agent releases and FL evaluation sets. */
const UPLOAD_PATH = /^\/v1\/(models\/[^/]+\/versions|agent-releases|fl\/eval-sets)$/;

export function createApp(options: { services: HttpServices; logger: Logger }): Hono<HttpEnv> {
  const { services, logger } = options;
  const jsonLimit = bodyLimit({
    maxSize: JSON_BODY_LIMIT_BYTES,
    onError: () => {
      throw new ControlPlaneError('MESSAGE_TOO_LARGE', `request body exceeds ${JSON_BODY_LIMIT_BYTES} bytes`);
    },
  });
  const app = new Hono<HttpEnv>();
  app.use('*', requestLog({ logger, prometheus: services.prometheus }));
  app.use('*', async (c, next) => {
    c.set('actor', null);
    c.set('auditActor', null);
    c.set('auditTarget', null);
    c.set('auditDetails', {});
    if (UPLOAD_PATH.test(c.req.path)) return next();
    return jsonLimit(c, next);
  });
  // `time` (ms since the epoch) lets a device's `doctor` measure its clock skew finer than the Date header.
  app.get('/v1/health', (c) =>
    c.json({ status: 'ok', time: services.now(), scheduler: services.schedulerState?.() ?? 'leader' }),
  );
  app.route('/', createEnrolmentRoutes(services));
  app.route('/', createModelRoutes(services));
  app.route('/', createDeviceRoutes(services));
  app.route('/', createRolloutRoutes(services));
  app.route('/', createDriftRoutes(services));
  app.route('/', createEventRoutes(services));
  app.route('/', createFlRoutes(services));
  app.route('/', createAdminRoutes(services));
  app.route('/', createMetricsRoutes(services));
  app.route('/', createOpenApiRoutes());
  app.route('/', createDashboardRoutes(services));
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((error, c) => {
    if (error instanceof EdgefleetError) {
      const status = httpStatusOf(error.code) as ContentfulStatusCode;
      if (status >= 500) logger.error({ err: error, path: c.req.path }, 'request failed');
      const details = Object.keys(error.details).length > 0 ? { details: error.details } : {};
      return c.json({ error: { code: error.code, message: error.message, ...details } }, status);
    }
    logger.error({ err: error, path: c.req.path }, 'unexpected error');
    return c.json({ error: { code: 'INTERNAL', message: 'internal error' } }, 500);
  });
  return app;
}
