/**
 * Whether this device takes a federated task now (DESIGN.md §4 FL client): only when
 * eligible — enough local samples, not serving inference right now (idle for `idleMs`), on power if
 * required, and not too hot. Battery and temperature come from a small `DeviceConditions` interface: the
 * real one reads Linux sysfs (`/sys/class/power_supply/*`, `/sys/class/thermal/thermal_zone*`), where a
 * gateway without a battery or sensor simply reports null — unknown never blocks training.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeclineReason } from '@edgefleet/protocol';

export interface DeviceConditions {
  /** true on mains or charging, false on battery, null when the device cannot tell. */
  onPower(): boolean | null;
  /** Hottest thermal zone in °C, null when there is none. */
  temperatureC(): number | null;
}

export interface FlPolicy {
  readonly enabled: boolean;
  readonly minSamples: number;
  /** Decline while an inference ran within this many ms (0 = no idle requirement). */
  readonly idleMs: number;
  readonly requirePower: boolean;
  readonly maxTemperatureC: number;
}

export function declineReason(options: {
  policy: FlPolicy;
  samples: number;
  taskMinSamples: number;
  msSinceInference: number | null;
  conditions: DeviceConditions;
}): DeclineReason | null {
  const { policy, conditions } = options;
  if (!policy.enabled) return 'disabled';
  if (options.samples < Math.max(policy.minSamples, options.taskMinSamples)) return 'not-enough-samples';
  if (policy.idleMs > 0 && options.msSinceInference !== null && options.msSinceInference < policy.idleMs)
    return 'not-idle';
  if (policy.requirePower && conditions.onPower() === false) return 'battery';
  const temperature = conditions.temperatureC();
  if (temperature !== null && temperature > policy.maxTemperatureC) return 'thermal';
  return null;
}

function readTrimmed(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function sysfsConditions(root = '/sys/class'): DeviceConditions {
  return {
    onPower() {
      let sawBattery = false;
      for (const supply of entries(join(root, 'power_supply'))) {
        const type = readTrimmed(join(root, 'power_supply', supply, 'type'));
        if (type === 'Mains' || type === 'USB') {
          if (readTrimmed(join(root, 'power_supply', supply, 'online')) === '1') return true;
        } else if (type === 'Battery') {
          sawBattery = true;
          const status = readTrimmed(join(root, 'power_supply', supply, 'status'));
          if (status === 'Charging' || status === 'Full') return true;
        }
      }
      return sawBattery ? false : null;
    },
    temperatureC() {
      let hottest: number | null = null;
      for (const zone of entries(join(root, 'thermal'))) {
        if (!zone.startsWith('thermal_zone')) continue;
        const milli = Number(readTrimmed(join(root, 'thermal', zone, 'temp')));
        if (Number.isFinite(milli) && milli > 0) hottest = Math.max(hottest ?? Number.NEGATIVE_INFINITY, milli / 1000);
      }
      return hottest;
    },
  };
}
