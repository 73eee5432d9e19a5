/**
 * Device routes: the fleet list (child devices behind gateways included, with their `parentId`), one
 * device's reported and desired state, its stored telemetry windows and events (newest first), and
 * revocation (operator; audited).
 */
import { deviceIdSchema } from '@edgefleet/protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import type { DeviceRow } from '../../devices/device-registry.js';
import type { HttpEnv, HttpServices } from '../http-env.js';
import { createAuditRecorder, createRoleGuard, parseParams, parseQuery } from '../middleware.js';

const idParam = z.object({ id: deviceIdSchema });
const limitQuery = z.object({ limit: z.coerce.number().pipe(z.int().min(1).max(1000)).default(100) });

export function createDeviceRoutes(services: HttpServices) {
  const requireRole = createRoleGuard(services);
  const audited = createAuditRecorder(services);
  const base = (d: DeviceRow) => ({
    deviceId: d.id,
    group: d.group,
    tags: d.tags,
    online: d.connection === 'online',
    lastSeenAt: d.lastSeenAt,
    /** The gateway carrying this child device (DESIGN.md §6), else null. */
    parentId: d.parentId,
    /** When the device was revoked; null for a fleet member. */
    revokedAt: d.revokedAt,
  });
  const deviceOf = (c: { req: { param(): Record<string, string> } }) =>
    services.devices.get(parseParams(idParam, c).id);

  return new Hono<HttpEnv>()
    .get('/v1/devices', requireRole('viewer'), async (c) => {
      const devices = await services.devices.list();
      const installed = await Promise.all(devices.map((d) => services.devices.installed(d.id)));
      return c.json(devices.map((d, i) => ({ ...base(d), installed: installed[i] ?? [] })));
    })
    .get('/v1/devices/:id', requireRole('viewer'), async (c) => {
      const device = await deviceOf(c);
      const desired = await services.desired.current(device.id);
      return c.json({
        ...base(device),
        reported: await services.devices.reported(device.id),
        desired:
          desired === null
            ? null
            : { seq: desired.seq, rolloutId: desired.rolloutId, assignments: desired.assignments },
      });
    })
    .get('/v1/devices/:id/telemetry', requireRole('viewer'), async (c) => {
      const device = await deviceOf(c);
      const { limit } = parseQuery(limitQuery, c);
      return c.json(await services.history.telemetry(device.id, limit));
    })
    .get('/v1/devices/:id/events', requireRole('viewer'), async (c) => {
      const device = await deviceOf(c);
      const { limit } = parseQuery(limitQuery, c);
      return c.json(await services.history.events(device.id, limit));
    })
    .post('/v1/devices/:id/revoke', audited('devices.revoke'), requireRole('operator'), async (c) => {
      const { id } = parseParams(idParam, c);
      c.set('auditTarget', `device:${id}`);
      const result = await services.revocation.revokeDevice(id);
      c.set('auditDetails', { ...result });
      return c.json({ deviceId: id, ...result });
    });
}

export { limitQuery };
