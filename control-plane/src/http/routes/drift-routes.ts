/**
 * Fleet drift routes (viewer role): a cohort's drift over time for one model version, newest window first,
 * and the drift alerts — cohort alerts recorded by the control plane plus the `drift-alarm` events devices
 * raised themselves (their streaming detectors). `/v1/drift/alerts` has two segments, the per-version route
 * three, so the two never shadow each other.
 */
import { modelLineSchema, versionSchema } from '@edgefleet/protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import { parseCohort } from '../../drift/cohort.js';
import type { HttpEnv, HttpServices } from '../http-env.js';
import { createRoleGuard, parseParams, parseQuery } from '../middleware.js';

const versionParams = z.object({ line: modelLineSchema, version: z.coerce.number().pipe(versionSchema) });
const limit = z.coerce.number().pipe(z.int().min(1).max(1000));
export const driftHistoryQuery = z.object({ cohort: z.string().default('all'), limit: limit.default(20) });
export const driftAlertsQuery = z.object({ line: modelLineSchema.optional(), limit: limit.default(100) });

export function createDriftRoutes(services: HttpServices) {
  const requireRole = createRoleGuard(services);
  const { drift } = services;
  return new Hono<HttpEnv>()
    .get('/v1/drift/alerts', requireRole('viewer'), async (c) => {
      const query = parseQuery(driftAlertsQuery, c);
      const filter = { limit: query.limit, ...(query.line === undefined ? {} : { line: query.line }) };
      return c.json({ alerts: await drift.store.alerts(filter), deviceAlarms: await drift.store.deviceAlarms(filter) });
    })
    .get('/v1/drift/:line/:version', requireRole('viewer'), async (c) => {
      const { line, version } = parseParams(versionParams, c);
      const query = parseQuery(driftHistoryQuery, c);
      const cohort = parseCohort(query.cohort);
      // Unknown version (or one without a profile) → 404 MODEL_VERSION_UNKNOWN before anything is read.
      await drift.profileOf(line, version);
      const { windowMs, minRows, ...tests } = drift.config;
      return c.json({
        line,
        version,
        cohort: query.cohort,
        thresholds: { ...tests, windowMs, minRows },
        windows: await drift.cohorts.history({ line, version, cohort, limit: query.limit }),
      });
    });
}
