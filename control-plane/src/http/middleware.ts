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
 * authenticated are not recorded (an unauthenticated client must not be able to grow the log); on `public`
 * routes such as enrolment, whose credential is in the body, only the calls that succeed are.
 */
export function createAuditRecorder(services: HttpServices) {
  return (action: string, options: { public?: boolean } = {}) =>
    createMiddleware<HttpEnv>(async (c, next) => {
      await next();
      const actor = c.var.auditActor ?? c.var.actor?.name ?? (options.public === true ? 'anonymous' : null);
      // An anonymous failure costs no row: it is counted (edgefleet_http_requests_total by route and status)
      // and in the request log, so a flood of bad enrolment tokens cannot grow the audit table.
      if (actor === null || (actor === 'anonymous' && c.res.status >= 400)) return;
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

const WHAT = Object.freeze({
  BODY_INVALID: 'request body is invalid',
  PATH_INVALID: 'a path parameter is invalid',
  QUERY_INVALID: 'a query parameter is invalid',
});

function invalid(error: z.ZodError, code: keyof typeof WHAT): ControlPlaneError {
  const issues = error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  const where = first === undefined ? '' : `: ${first.path || '(root)'} ${first.message}`;
  return new ControlPlaneError(code, `${WHAT[code]}${where}`, { details: { issues } });
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(parsed.error, 'BODY_INVALID');
  return parsed.data;
}

/** The route's path parameters checked against `schema` (400 PATH_INVALID naming the parameter). */
export function parseParams<S extends z.ZodType>(
  schema: S,
  c: { req: { param(): Record<string, string> } },
): z.output<S> {
  const parsed = schema.safeParse(c.req.param());
  if (!parsed.success) throw invalid(parsed.error, 'PATH_INVALID');
  return parsed.data;
}

/** The query string checked against `schema` (400 QUERY_INVALID naming the parameter). */
export function parseQuery<S extends z.ZodType>(
  schema: S,
  c: { req: { query(): Record<string, string> } },
): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw invalid(parsed.error, 'QUERY_INVALID');
  return parsed.data;
}

/** JSON bodies only as JSON: a form or text/plain post (what a browser sends cross-origin without a preflight) is refused. */
export function requireJsonContentType(c: Context): void {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json' || (type?.startsWith('application/') && type.endsWith('+json'))) return;
  throw new ControlPlaneError('CONTENT_TYPE_UNSUPPORTED', 'this route takes application/json', {
    details: { contentType: type ?? null },
  });
}

// fatal: JSON text must be UTF-8 (RFC 8259 §8.1); c.req.json() would turn invalid bytes into U+FFFD and
// accept them (found by the parser fuzzer).
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  requireJsonContentType(c);
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(await c.req.arrayBuffer()));
  } catch (cause) {
    throw new ControlPlaneError('BODY_INVALID', 'request body is not valid UTF-8 JSON', { cause });
  }
  return parseWith(schema, value);
}
