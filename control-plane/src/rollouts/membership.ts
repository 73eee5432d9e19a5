/**
 * Who is in a rollout and in which wave. A device matches a selector when it is in the group, carries every
 * tag and has the hardware profile (as last reported, else as given at enrolment). Devices are ordered by
 * sha256(rolloutId + deviceId) — deterministic across restarts, and it spreads every group and profile
 * over the waves instead of taking the oldest devices first. Wave i of a percentage plan holds the devices
 * ranked below ceil(percent_i · N / 100) (cumulative) and not in an earlier wave; with explicit selectors a
 * device belongs to the first wave whose selector it matches, and unmatched devices to the last wave.
 */
import { createHash } from 'node:crypto';
import type { DeviceRow } from '../devices/device-registry.js';
import type { Selector, WavePlan } from './plan.js';

export function hardwareProfileOf(device: DeviceRow, reported: Record<string, unknown> | null): string | null {
  const fromReport = (reported?.hardware as { profile?: unknown } | undefined)?.profile;
  if (typeof fromReport === 'string') return fromReport;
  const fromEnrolment = (device.hardware as { profile?: unknown } | null)?.profile;
  return typeof fromEnrolment === 'string' ? fromEnrolment : null;
}

export function matchesSelector(selector: Selector, device: DeviceRow, profile: string | null): boolean {
  if (selector.group !== undefined && device.group !== selector.group) return false;
  if (selector.tags !== undefined && !selector.tags.every((t) => device.tags.includes(t))) return false;
  if (selector.hardwareProfile !== undefined && profile !== selector.hardwareProfile) return false;
  return true;
}

function rankKey(rolloutId: string, deviceId: string): string {
  return createHash('sha256').update(rolloutId).update(deviceId).digest('hex');
}

export interface Member {
  readonly deviceId: string;
  readonly rank: number;
  readonly wave: number;
}

/** Splits the matching devices into waves (see header). `profileOf` resolves a device's hardware profile. */
export function assignWaves(options: {
  rolloutId: string;
  devices: readonly DeviceRow[];
  waves: readonly WavePlan[];
  profileOf: (device: DeviceRow) => string | null;
}): Member[] {
  const ranked = options.devices
    .map((d) => ({ device: d, key: rankKey(options.rolloutId, d.id) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const n = ranked.length;
  const last = options.waves.length - 1;
  const cutoffs = options.waves.map((w) => ('percent' in w ? Math.ceil((w.percent * n) / 100) : null));
  return ranked.map(({ device }, rank) => {
    let wave = last;
    for (let i = 0; i <= last; i++) {
      const cutoff = cutoffs[i];
      const plan = options.waves[i] as WavePlan;
      const inWave =
        cutoff === null || cutoff === undefined
          ? 'selector' in plan && matchesSelector(plan.selector, device, options.profileOf(device))
          : rank < cutoff;
      if (inWave) {
        wave = i;
        break;
      }
    }
    return { deviceId: device.id, rank, wave };
  });
}
