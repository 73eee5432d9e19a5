/**
 * Enrolment routes (the brief's contract): operators mint one-time enrolment tokens for a group; a device
 * trades one for its id, broker credentials and the signed root document it will verify against its pinned
 * root keys. `POST /v1/enrol` carries no Authorization header — the token in the body is the credential.
 */
import { deviceIdSchema, encodeCbor, type SignedDocument } from '@edgefleet/protocol';
import { Hono } from 'hono';
import { z } from 'zod';
import type { HttpEnv, HttpServices } from '../http-env.js';
import { createAuditRecorder, createRoleGuard, parseParams, readJson } from '../middleware.js';

const base64Cbor = (doc: SignedDocument | undefined) => Buffer.from(encodeCbor(doc)).toString('base64');

const groupSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'group must be 1-63 chars of [a-z0-9-]');

export const enrolmentTokenBody = z.strictObject({
  group: groupSchema,
  tags: z.array(z.string().min(1).max(64)).max(32).optional(),
  ttlSec: z
    .int()
    .min(1)
    .max(30 * 24 * 3600)
    .optional(),
});

export const enrolBody = z.strictObject({
  token: z.string().min(1).max(256),
  deviceId: deviceIdSchema.optional(),
  hardware: z
    .object({
      platform: z.string().max(32),
      arch: z.string().max(32),
      cpus: z.int().nonnegative(),
      memoryBytes: z.number().nonnegative(),
      /** Operator-assigned hardware profile, a rollout selector (until the device reports its own). */
      profile: z.string().min(1).max(64).optional(),
    })
    .optional(),
});

export function createEnrolmentRoutes(services: HttpServices) {
  const requireRole = createRoleGuard(services);
  const audited = createAuditRecorder(services);
  return new Hono<HttpEnv>()
    .post('/v1/enrolment-tokens', audited('enrolment-tokens.create'), requireRole('operator'), async (c) => {
      const body = await readJson(c, enrolmentTokenBody);
      c.set('auditTarget', `group:${body.group}`);
      const created = await services.enrolment.createToken({
        group: body.group,
        tags: body.tags ?? [],
        ttlSec: body.ttlSec ?? services.enrolmentTokenTtlSec,
        createdBy: c.var.actor?.name ?? 'unknown',
      });
      c.set('auditDetails', { expiresAt: created.expiresAt });
      return c.json(created, 201);
    })
    .get('/v1/enrolment-tokens', requireRole('operator'), async (c) => c.json(await services.enrolment.listTokens()))
    .delete('/v1/enrolment-tokens/:id', audited('enrolment-tokens.revoke'), requireRole('operator'), async (c) => {
      const { id } = parseParams(z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, 'id is 16 hex digits') }), c);
      c.set('auditTarget', `enrolment-token:${id}`);
      return c.json(await services.enrolment.revokeToken(id));
    })
    .post('/v1/enrol', audited('devices.enrol', { public: true }), async (c) => {
      const body = await readJson(c, enrolBody);
      if (body.deviceId !== undefined) c.set('auditTarget', `device:${body.deviceId}`);
      const enrolled = await services.enrolment.enrol({
        token: body.token,
        deviceId: body.deviceId,
        hardware: body.hardware,
      });
      c.set('auditActor', enrolled.deviceId);
      c.set('auditTarget', `device:${enrolled.deviceId}`);
      c.set('auditDetails', { group: enrolled.group });
      try {
        await services.registerBrokerCredentials(enrolled.deviceId, enrolled.password);
      } catch (error) {
        // No device without a broker credential: the row goes and the token can be used again.
        await services.enrolment.undo(enrolled.deviceId);
        throw error;
      }
      await services.rollouts.onDeviceEnrolled(enrolled.deviceId);
      const chain = services.trust.chain();
      return c.json(
        {
          deviceId: enrolled.deviceId,
          mqtt: { url: services.mqttUrl(), username: enrolled.deviceId, password: enrolled.password },
          root: base64Cbor(chain[0]),
          rootChain: chain.slice(1).map(base64Cbor),
        },
        201,
      );
    });
}
