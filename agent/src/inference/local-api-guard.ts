/**
 * Who may call the agent's local HTTP API. Applications on the device call it; a web page in a browser on
 * the same machine must not, nor a page whose DNS name was re-bound to 127.0.0.1. So:
 *  - the Host header must name this agent: a loopback name or address, the address it is bound to, or a
 *    configured host name (a rebound DNS name fails here);
 *  - an Origin header, which browsers send with cross-origin requests, must be one of those hosts too;
 *  - a bearer token, when one is configured; one is required whenever the API binds beyond loopback.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AgentError } from '../errors.js';

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '::1', '[::1]'];

export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.includes(host) || /^127\.\d+\.\d+\.\d+$/.test(host) || host.endsWith('.localhost');
}

export interface LocalApiGuardOptions {
  /** The address the API is bound to. */
  readonly bindHost: string;
  /** A bearer token every call but GET /v1/health must carry. */
  readonly token?: string | undefined;
  /** Extra host names callers may use (e.g. the device's own name on the LAN). */
  readonly allowedHosts?: readonly string[] | undefined;
}

/** The host part of a Host header or an origin's authority, lower-cased, without the port. */
function hostName(authority: string): string {
  const lower = authority.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  return lower.split(':', 1)[0] ?? '';
}

export function createLocalApiGuard(options: LocalApiGuardOptions): (req: IncomingMessage, path: string) => void {
  if (!isLoopback(options.bindHost) && (options.token === undefined || options.token.length === 0)) {
    throw new AgentError(
      'BODY_INVALID',
      `the local HTTP API binds to ${options.bindHost}, beyond loopback: set httpApi.token (at least 16 characters)`,
    );
  }
  const allowed = new Set([
    options.bindHost.toLowerCase(),
    ...(options.allowedHosts ?? []).map((h) => h.toLowerCase()),
  ]);
  const hostAllowed = (host: string) => isLoopback(host) || allowed.has(host);
  const expected = options.token === undefined ? undefined : Buffer.from(`Bearer ${options.token}`);

  return (req, path) => {
    const host = hostName(req.headers.host ?? '');
    if (!hostAllowed(host)) {
      throw new AgentError('AUTH_FORBIDDEN', `Host ${host || '(none)'} is not this agent's API`, { details: { host } });
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let originHost = '';
      try {
        originHost = hostName(new URL(origin).host);
      } catch {
        // 'null' and other opaque origins: refused below
      }
      if (!hostAllowed(originHost)) {
        throw new AgentError('AUTH_FORBIDDEN', `requests from origin ${origin} are not accepted`, {
          details: { origin },
        });
      }
    }
    if (expected === undefined || (req.method === 'GET' && path === '/v1/health')) return;
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AgentError('AUTH_REQUIRED', 'a valid bearer token is required');
    }
  };
}
