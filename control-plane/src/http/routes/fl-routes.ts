/**
 * Federated-learning routes: operators upload a held-out evaluation set (CBOR body, see
 * fl/eval-sets.ts — it can be megabytes, so it has its own body limit), create training jobs and cancel
 * them; viewers list jobs, read one with every round's state and metrics, and download its global weights
 * (float32, little-endian, in the MlpSpec layout).
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { ControlPlaneError } from '../../errors.js';
import { MAX_EVAL_SET_BYTES } from '../../fl/eval-sets.js';
import type { HttpEnv, HttpServices } from '../http-env.js';
import { createAuditRecorder, createRoleGuard, parseParams, readJson } from '../middleware.js';

const idParam = z.object({ id: z.string().min(1).max(64) });

export function createFlRoutes(services: HttpServices) {
  const requireRole = createRoleGuard(services);
  const audited = createAuditRecorder(services);
  const evalSetLimit = bodyLimit({
    maxSize: MAX_EVAL_SET_BYTES,
    onError: () => {
      throw new ControlPlaneError('MESSAGE_TOO_LARGE', `evaluation sets are limited to ${MAX_EVAL_SET_BYTES} bytes`);
    },
  });
  return new Hono<HttpEnv>()
    .post('/v1/fl/eval-sets', audited('fl.eval-sets.create'), requireRole('operator'), evalSetLimit, async (c) => {
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const stored = await services.evalSets.put(bytes);
      c.set('auditTarget', `eval-set:${stored.digest}`);
      return c.json(stored, 201);
    })
    .post('/v1/fl/jobs', audited('fl.jobs.create'), requireRole('operator'), async (c) => {
      const body = await readJson(c, z.unknown());
      const job = await services.fl.createJob(body, c.var.actor?.name ?? 'unknown');
      c.set('auditTarget', `fl-job:${job.id}`);
      c.set('auditDetails', { line: job.line, rounds: job.config.rounds, strategy: job.config.strategy.name });
      return c.json(job, 201);
    })
    .get('/v1/fl/jobs', requireRole('viewer'), async (c) => c.json(await services.fl.list()))
    .get('/v1/fl/jobs/:id', requireRole('viewer'), async (c) =>
      c.json(await services.fl.get(parseParams(idParam, c).id)),
    )
    .get('/v1/fl/jobs/:id/weights', requireRole('viewer'), async (c) => {
      const { id } = parseParams(idParam, c);
      const which = c.req.query('which') === 'best' ? 'best' : 'current';
      const bytes = await services.fl.weights(id, which);
      return c.body(new Uint8Array(bytes), 200, { 'content-type': 'application/octet-stream' });
    })
    .post('/v1/fl/jobs/:id/cancel', audited('fl.jobs.cancel'), requireRole('operator'), async (c) => {
      const { id } = parseParams(idParam, c);
      c.set('auditTarget', `fl-job:${id}`);
      return c.json(await services.fl.cancel(id));
    });
}
