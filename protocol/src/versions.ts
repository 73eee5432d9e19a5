/**
 * Version ordering for model lines. Versions are monotonic integers per line (DESIGN.md §3); a rollback is a
 * new, higher version pointing at old content, so "never go down" is the whole rule — plus: one version
 * number names one content digest, which defeats mix-and-match of a known version with other bytes.
 */
import { ProtocolError } from './errors/edgefleet-error.js';

export interface AcceptedVersion {
  readonly version: number;
  readonly digest: string;
}

export function compareVersions(a: number, b: number): number {
  return a - b;
}

/** Throws DOWNGRADE unless `next` may be accepted after `highest` (the highest ever accepted for the line). */
export function assertUpgradeAllowed(line: string, highest: AcceptedVersion | undefined, next: AcceptedVersion): void {
  if (highest === undefined) return;
  const order = compareVersions(next.version, highest.version);
  if (order < 0) {
    throw new ProtocolError('DOWNGRADE', `${line} v${next.version} is lower than accepted v${highest.version}`, {
      details: { line, version: next.version, highest: highest.version },
    });
  }
  if (order === 0 && next.digest !== highest.digest) {
    throw new ProtocolError('DOWNGRADE', `${line} v${next.version} was accepted with different content`, {
      details: { line, version: next.version, digest: next.digest, accepted: highest.digest },
    });
  }
}
