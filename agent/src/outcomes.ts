/**
 * What the agent does with every outcome it must not swallow: a rejected message or document and each
 * install event. Rejections are counted by error code, logged with context, queued as `events` records,
 * surfaced as `lastError` in the reported state and emitted on the agent's EventEmitter. One place, so the
 * desired handler, the fetch path and the installer all report failures the same way.
 */
import type { EventEmitter } from 'node:events';
import type { EdgefleetError, ErrorCode } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { AgentEvents } from './agent-types.js';
import type { RejectionContext } from './desired/desired-handler.js';
import type { InstallEvent } from './install/installer.js';
import type { EventInput } from './telemetry-wiring.js';

export interface OutcomeEvents {
  installed: [{ line: string; version: number }];
  'install-failed': [{ line: string; version: number; code: ErrorCode }];
  rejected: [{ code: ErrorCode; message: string }];
  /** A challenger started (or stopped) running in shadow beside the line's champion. */
  'shadow-started': [{ line: string; version: number }];
  'shadow-retired': [{ line: string; version: number }];
}

/** One event as an argument list: ['installed', { line, version }] etc. */
export type OutcomeNotice = { [K in keyof OutcomeEvents]: [K, ...OutcomeEvents[K]] }[keyof OutcomeEvents];

export interface Outcomes {
  reject(error: EdgefleetError, context: RejectionContext): void;
  install(event: InstallEvent): void;
  rejections(): Record<string, number>;
  lastError(): { code: string; message: string } | null;
}

export function createOutcomes(options: {
  logger: Logger;
  /** Emits on the agent's EventEmitter. */
  notify: (...notice: OutcomeNotice) => void;
  recordEvent: (event: EventInput) => void;
  /** Publishes the reported state now (after an outcome the control plane should see at once). */
  report: () => void;
}): Outcomes {
  const { logger, notify, recordEvent, report } = options;
  const rejections: Record<string, number> = {};
  let lastError: { code: string; message: string } | null = null;

  function count(error: EdgefleetError): { code: string; message: string } {
    rejections[error.code] = (rejections[error.code] ?? 0) + 1;
    // errorInfoSchema caps messages at 1024 characters.
    lastError = { code: error.code, message: error.message.slice(0, 1024) };
    return lastError;
  }

  return {
    reject(error, context) {
      const info = count(error);
      logger.warn({ ...context, code: error.code, err: error }, 'message rejected; keeping current models');
      recordEvent({
        kind: 'document-rejected',
        ...(context.line === undefined ? {} : { line: context.line }),
        ...(context.version === undefined ? {} : { version: context.version }),
        error: info,
      });
      notify('rejected', { code: error.code, message: error.message });
      report();
    },
    install(event) {
      const { kind, line, version } = event;
      if (kind === 'shadow-started' || kind === 'shadow-retired') {
        // No protocol event kind for these: the reported state's `shadows` tells the control plane.
        notify(kind, { line, version });
        report();
        return;
      }
      if (event.kind === 'install-failed') {
        recordEvent({ kind, line, version, error: count(event.error) });
        notify('install-failed', { line, version, code: event.error.code });
        report();
        return;
      }
      recordEvent({ kind, line, version });
      if (kind === 'install-completed') {
        lastError = null;
        notify('installed', { line, version });
        report();
      }
    },
    rejections: () => ({ ...rejections }),
    lastError: () => lastError,
  };
}

/** Emits one notice on the agent's EventEmitter: the agent's `notify`. */
export function emitOutcome(events: EventEmitter<AgentEvents>, ...notice: OutcomeNotice): void {
  // Spelled out per event: TypeScript cannot spread a union of tuples into EventEmitter.emit.
  if (notice[0] === 'installed') events.emit('installed', notice[1]);
  else if (notice[0] === 'install-failed') events.emit('install-failed', notice[1]);
  else if (notice[0] === 'shadow-started') events.emit('shadow-started', notice[1]);
  else if (notice[0] === 'shadow-retired') events.emit('shadow-retired', notice[1]);
  else events.emit('rejected', notice[1]);
}
