/**
 * The base error class. Each package subclasses it once (ProtocolError, AgentError, ControlPlaneError)
 * so a caller can tell where a failure came from, while the stable `code` says what it was.
 */
import type { ErrorCode } from './codes.js';

export interface ErrorDetails {
  readonly [key: string]: unknown;
}

export class EdgefleetError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: ErrorDetails } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
  }

  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export class ProtocolError extends EdgefleetError {}

/** The code of any error: its own when it is an EdgefleetError, INTERNAL otherwise. */
export function errorCodeOf(error: unknown): ErrorCode {
  return error instanceof EdgefleetError ? error.code : 'INTERNAL';
}
