/**
 * Rollout routes: start a (single-wave) rollout of a model version to a group, and read rollout progress.
 */
import { modelLineSchema, versionSchema } from '@edgefleet/protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import type { HttpEnv, HttpServices } from '../http-env.js';
import { createAuditRecorder, createRoleGuard, parseWith, readJson } from '../middleware.js';

const createBody = z.strictObject({
  line: modelLineSchema,
  version: versionSchema,
  group: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'group must be 1-63 chars of [a-z0-9-]'),
});

export function createRolloutRoutes(services: HttpServices) {
  const requireRole = createRoleGuard(services);
  const audited = createAuditRecorder(services);
  return new Hono<HttpEnv>()
    .post('/v1/rollouts', audited('rollouts.create'), requireRole('operator'), async (c) => {
      const body = await readJson(c, createBody);
      c.set('auditTarget', `model:${body.line}@${body.version} group:${body.group}`);
      const rollout = await services.rollouts.create({ ...body, createdBy: c.var.actor?.name ?? 'unknown' });
      c.set('auditDetails', { rolloutId: rollout.id, devices: rollout.devices.length });
      return c.json(rollout, 201);
    })
    .get('/v1/rollouts', requireRole('viewer'), (c) => c.json(services.rollouts.list()))
    .get('/v1/rollouts/:id', requireRole('viewer'), (c) => {
      const { id } = parseWith(z.object({ id: z.string().min(1).max(64) }), c.req.param());
      return c.json(services.rollouts.get(id));
    });
}
