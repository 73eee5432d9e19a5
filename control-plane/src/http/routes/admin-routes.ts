/**
 * Admin-only routes: minting API tokens and reading the audit log.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { ROLES } from '../../auth/api-tokens.js';
import type { HttpEnv, HttpServices } from '../http-env.js';
import { createAuditRecorder, createRoleGuard, parseQuery, readJson } from '../middleware.js';
import { limitQuery } from './device-routes.js';

export const apiTokenBody = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'name must be 1-64 chars of [A-Za-z0-9._-]'),
  role: z.enum(ROLES),
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
    .get('/v1/audit', requireRole('admin'), async (c) => {
      const { limit } = parseQuery(limitQuery, c);
      return c.json(await services.audit.list({ limit }));
    });
}
