/**
 * Logging for refusals an attacker can cause at will: the first of each kind is logged at once, the rest at
 * most once per interval, with how many were folded in. A flood is visible in the log without filling it.
 */
import type { Logger } from 'pino';

export interface ThrottledLog {
  warn(kind: string, fields: Record<string, unknown>, message: string): void;
}

export function createThrottledLog(logger: Logger, intervalMs = 10_000, now: () => number = Date.now): ThrottledLog {
  const last = new Map<string, { at: number; suppressed: number }>();
  return {
    warn(kind, fields, message) {
      const t = now();
      const entry = last.get(kind);
      if (entry !== undefined && t - entry.at < intervalMs) {
        entry.suppressed++;
        return;
      }
      const suppressed = entry?.suppressed ?? 0;
      if (last.size > 1000) last.clear(); // kinds are a small fixed set; this only guards a misuse
      last.set(kind, { at: t, suppressed: 0 });
      logger.warn({ ...fields, kind, ...(suppressed > 0 ? { suppressedSinceLast: suppressed } : {}) }, message);
    },
  };
}
