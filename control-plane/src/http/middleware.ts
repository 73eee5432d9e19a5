/**
 * HTTP middleware: bearer-token authentication with role checks (admin > operator > viewer; missing or
 * unknown token → 401 AUTH_REQUIRED, insufficient role → 403 AUTH_FORBIDDEN), the audit recorder for
 * mutating routes, and body validation against zod schemas (→ 400 BODY_INVALID with the first issues).
 */
import { errorCodeOf } from '@edgefleet/protocol';
import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { z } from 'zod';
import { type Role, roleAtLeast } from '../auth/api-tokens.js';
import { ControlPlaneError } from '../errors.js';
import type { HttpEnv, HttpServices } from './http-env.js';

export type RoleGuard = (role: Role) => MiddlewareHandler<HttpEnv>;

export function createRoleGuard(services: HttpServices): RoleGuard {
  return (required) =>
    createMiddleware<HttpEnv>(async (c, next) => {
      const header = c.req.header('authorization') ?? '';
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const actor = match?.[1] === undefined ? null : await services.apiTokens.authenticate(match[1]);
      if (actor === null) throw new ControlPlaneError('AUTH_REQUIRED', 'a valid bearer token is required');
      c.set('actor', actor);
      if (!roleAtLeast(actor.role, required)) {
        throw new ControlPlaneError('AUTH_FORBIDDEN', `this action needs the ${required} role`, {
          details: { role: actor.role, required },
        });
      }
      await next();
    });
}

/**
 * Records one audit row per mutating call once the response is known. Calls refused before anyone was
 * authenticated are not recorded (an unauthenticated client must not be able to grow the log), except on
 * `public` routes such as enrolment, whose credential is in the body.
 */
export function createAuditRecorder(services: HttpServices) {
  return (action: string, options: { public?: boolean } = {}) =>
    createMiddleware<HttpEnv>(async (c, next) => {
      await next();
      const actor = c.var.auditActor ?? c.var.actor?.name ?? (options.public === true ? 'anonymous' : null);
      if (actor === null) return;
      const details = { ...c.var.auditDetails };
      if (c.error !== undefined) details.error = errorCodeOf(c.error);
      await services.audit.append({
        actor,
        action,
        target: c.var.auditTarget ?? c.req.path,
        status: c.res.status,
        details,
      });
    });
}

function invalid(error: z.ZodError): ControlPlaneError {
  const issues = error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  const where = first === undefined ? '' : `: ${first.path || '(root)'} ${first.message}`;
  return new ControlPlaneError('BODY_INVALID', `request body is invalid${where}`, { details: { issues } });
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(parsed.error);
  return parsed.data;
}

// fatal: JSON text must be UTF-8 (RFC 8259 §8.1); c.req.json() would turn invalid bytes into U+FFFD and
// accept them (found by the issue-9 fuzzer).
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(await c.req.arrayBuffer()));
  } catch (cause) {
    throw new ControlPlaneError('BODY_INVALID', 'request body is not valid UTF-8 JSON', { cause });
  }
  return parseWith(schema, value);
}
