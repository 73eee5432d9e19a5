/**
 * Admin routes: API tokens (mint, list, revoke, rotate), the audit log, and the root of trust (the current
 * root document's keys, and rotating them).
 */
import { ROLE_NAMES } from '@edgefleet/protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import { ROLES } from '../../auth/api-tokens.js';
import type { HttpEnv, HttpServices } from '../http-env.js';
import { createAuditRecorder, createRoleGuard, parseParams, parseQuery, readJson } from '../middleware.js';
import { limitQuery } from './device-routes.js';

export const apiTokenBody = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'name must be 1-64 chars of [A-Za-z0-9._-]'),
  role: z.enum(ROLES),
});

const nameParam = z.object({ name: apiTokenBody.shape.name });

export const rotateKeysBody = z.strictObject({
  /** The roles whose keys are replaced; empty re-issues the root with the same keys (a new expiry). */
  roles: z
    .array(z.enum(ROLE_NAMES))
    .max(ROLE_NAMES.length)
    .refine((roles) => new Set(roles).size === roles.length, 'a role is named twice'),
});

export function createAdminRoutes(services: HttpServices) {
  const requireRole = createRoleGuard(services);
  const audited = createAuditRecorder(services);
  return new Hono<HttpEnv>()
    .post('/v1/tokens', audited('tokens.create'), requireRole('admin'), async (c) => {
      const body = await readJson(c, apiTokenBody);
      c.set('auditTarget', `token:${body.name}`);
      c.set('auditDetails', { role: body.role });
      return c.json({ token: await services.apiTokens.create(body), name: body.name, role: body.role }, 201);
    })
    .get('/v1/tokens', requireRole('admin'), async (c) => c.json(await services.apiTokens.list()))
    .delete('/v1/tokens/:name', audited('tokens.revoke'), requireRole('admin'), async (c) => {
      const { name } = parseParams(nameParam, c);
      c.set('auditTarget', `token:${name}`);
      await services.apiTokens.revoke(name);
      return c.body(null, 204);
    })
    .post('/v1/tokens/:name/rotate', audited('tokens.rotate'), requireRole('admin'), async (c) => {
      const { name } = parseParams(nameParam, c);
      c.set('auditTarget', `token:${name}`);
      return c.json(await services.apiTokens.rotate(name));
    })
    .get('/v1/trust', requireRole('viewer'), (c) =>
      c.json({ ...services.trust.summary(), chainLength: services.trust.chain().length }),
    )
    .post('/v1/trust/rotate', audited('trust.rotate'), requireRole('admin'), async (c) => {
      const { roles } = await readJson(c, rotateKeysBody);
      const result = await services.keyRotation.rotate(roles);
      c.set('auditTarget', `root:v${result.version}`);
      c.set('auditDetails', { rotated: result.rotated, retiredKeyIds: result.retiredKeyIds });
      return c.json(result);
    })
    .get('/v1/audit', requireRole('admin'), async (c) => {
      const { limit } = parseQuery(limitQuery, c);
      return c.json(await services.audit.list({ limit }));
    });
}
