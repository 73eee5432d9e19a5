/**
 * What every command gets: the HTTP client for the resolved server/token and the output mode, read from the
 * program's global options (`--server`, `--token`, `--json`) when the command runs, plus the exit-code table
 * scripts rely on.
 */

import type { ErrorCode } from '@edgefleet/protocol';
import type { Command } from 'commander';
import { resolveTarget } from './config.js';
import { createHttpClient, type HttpClient } from './http-client.js';
import { createOutput, type Output } from './output.js';

/** 0 ok · 1 the operation ran but failed (rollout rolled back, failed, aborted) · 2 usage, auth or invalid
 * input · 3 server unreachable · 4 anything else the server refused (not found, conflict, internal). */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, unreachable: 3, refused: 4 });

const USAGE_CODES: ReadonlySet<ErrorCode> = new Set([
  'USAGE_INVALID',
  'BODY_INVALID',
  'AUTH_REQUIRED',
  'AUTH_FORBIDDEN',
  'FL_CONFIG_INVALID',
]);

export function exitCodeOf(code: ErrorCode): number {
  if (code === 'SERVER_UNREACHABLE') return EXIT.unreachable;
  return USAGE_CODES.has(code) ? EXIT.usage : EXIT.refused;
}

export interface CliContext {
  client(): HttpClient;
  output(): Output;
}

export function createContext(program: Command): CliContext {
  const globals = () => program.opts<{ server?: string; token?: string; json?: boolean }>();
  return {
    client: () => {
      const { server, token } = globals();
      return createHttpClient(
        resolveTarget({ ...(server === undefined ? {} : { server }), ...(token === undefined ? {} : { token }) }),
      );
    },
    output: () => createOutput({ json: globals().json === true }),
  };
}
