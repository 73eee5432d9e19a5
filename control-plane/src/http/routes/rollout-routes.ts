/**
 * Rollout routes: operators start a staged rollout from a plan (rollouts/plan.ts; the legacy
 * `{ line, version, group }` body is still accepted as one 100 % wave) and pause, resume, abort, approve
 * the next wave of, or roll back a rollout; viewers read them. Illegal moves answer 409 INVALID_TRANSITION.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { isLegacyBody, legacyBodySchema, planFromLegacy, planSchema } from '../../rollouts/plan.js';
import type { RolloutAction } from '../../rollouts/rollout-service.js';
import type { HttpEnv, HttpServices } from '../http-env.js';
import {
  createAuditRecorder,
  createRoleGuard,
  parseParams,
  parseWith,
  readJson,
  requireJsonContentType,
} from '../middleware.js';

const idParam = z.object({ id: z.string().min(1).max(64) });
export const rolloutActionBody = z.strictObject({ reason: z.string().min(1).max(500).optional() });
export const ROLLOUT_ACTIONS: readonly RolloutAction[] = ['pause', 'resume', 'abort', 'approve', 'rollback'];

export function createRolloutRoutes(services: HttpServices) {
  const requireRole = createRoleGuard(services);
  const audited = createAuditRecorder(services);
  let routes = new Hono<HttpEnv>()
    .post('/v1/rollouts', audited('rollouts.create'), requireRole('operator'), async (c) => {
      const raw = await readJson(c, z.unknown());
      const legacy = isLegacyBody(raw);
      const plan = legacy ? planFromLegacy(parseWith(legacyBodySchema, raw)) : parseWith(planSchema, raw);
      c.set('auditTarget', `model:${plan.line}@${plan.version}`);
      const createdBy = c.var.actor?.name ?? 'unknown';
      const rollout = await services.rollouts.create({ plan, createdBy, allowEmpty: legacy });
      c.set('auditDetails', { rolloutId: rollout.id, devices: rollout.devices.length, waves: plan.waves.length });
      return c.json(rollout, 201);
    })
    .get('/v1/rollouts', requireRole('viewer'), async (c) => c.json(await services.rollouts.list()))
    .get('/v1/rollouts/:id', requireRole('viewer'), async (c) => {
      const { id } = parseParams(idParam, c);
      return c.json(await services.rollouts.get(id));
    });
  for (const action of ROLLOUT_ACTIONS) {
    routes = routes.post(
      `/v1/rollouts/:id/${action}`,
      audited(`rollouts.${action}`),
      requireRole('operator'),
      async (c) => {
        const { id } = parseParams(idParam, c);
        const text = await c.req.text();
        // The body is optional; when there is one, it is JSON like every other route's.
        if (text.trim() !== '') requireJsonContentType(c);
        const { reason } = text.trim() === '' ? { reason: undefined } : parseWith(rolloutActionBody, safeJson(text));
        c.set('auditTarget', `rollout:${id}`);
        const view = await services.rollouts.act(id, action, {
          actor: c.var.actor?.name ?? 'unknown',
          ...(reason === undefined ? {} : { reason }),
        });
        c.set('auditDetails', { state: view.state, ...(reason === undefined ? {} : { reason }) });
        return c.json(view);
      },
    );
  }
  return routes;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // not an object: the schema refuses it with BODY_INVALID
  }
}
