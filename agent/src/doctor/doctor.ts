/**
 * `edgefleet-agent doctor`: what the agent sees, without starting it — state dir, enrolment,
 * broker reachability, clock skew against the control plane, free disk and memory against the install
 * reserves, the ONNX runtime, every installed model verified and self-tested, and the agent-release
 * pointer. Healthy = no `fail`. The checks share the agent's own code (enrolment loader, boot-time slot
 * verification, release store), so doctor and the agent cannot disagree about what is valid.
 */
import { join } from 'node:path';
import { DEFAULTS, merge } from '../config.js';
import type { ConfigFile } from '../config-file.js';
import { loadCredentials } from '../enrol/enrol.js';
import type { ResourceOptions } from '../install/resource-gate.js';
import { createSlotStore } from '../install/slot-store.js';
import { createOnnxRuntime } from '../runtime/onnx-runtime.js';
import type { Runtime } from '../runtime/runtime.js';
import { createReleaseStore } from '../self-update/release-store.js';
import { createSystemStats, type SystemStats } from '../system/system-stats.js';
import {
  type CheckResult,
  checkBroker,
  checkClock,
  checkModels,
  checkRelease,
  checkResources,
  checkRuntime,
  checkStateDir,
} from './checks.js';

export const DOCTOR_DEFAULTS = Object.freeze({ timeoutMs: 3000, maxSkewMs: 30_000 });

export interface DoctorReport {
  readonly ok: boolean;
  readonly checks: readonly CheckResult[];
}

export async function runDoctor(options: {
  config: ConfigFile;
  stats?: SystemStats;
  now?: () => number;
  timeoutMs?: number;
  maxSkewMs?: number;
  runtime?: () => Promise<Runtime>;
}): Promise<DoctorReport> {
  const { config } = options;
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? DOCTOR_DEFAULTS.timeoutMs;
  const resources = merge<ResourceOptions>(DEFAULTS.resources, config.resources);
  const checks: CheckResult[] = [await checkStateDir(config.stateDir)];

  let identity: Awaited<ReturnType<typeof loadCredentials>>;
  try {
    identity = await loadCredentials({
      stateDir: config.stateDir,
      rootPublicKeys: config.rootPublicKeys,
      nowMs: now(),
    });
    checks.push(
      identity === undefined
        ? {
            name: 'enrolment',
            status: config.enrolmentToken === undefined ? 'fail' : 'warn',
            detail: 'not enrolled yet (the agent enrols on its first start with controlPlaneUrl + enrolmentToken)',
          }
        : { name: 'enrolment', status: 'ok', detail: `enrolled as ${identity.credentials.deviceId}` },
    );
  } catch (error) {
    checks.push({ name: 'enrolment', status: 'fail', detail: (error as Error).message });
  }
  checks.push(await checkBroker(config.mqttUrl ?? identity?.credentials.mqtt.url, timeoutMs));
  checks.push(
    await checkClock({
      controlPlaneUrl: config.controlPlaneUrl,
      maxSkewMs: options.maxSkewMs ?? DOCTOR_DEFAULTS.maxSkewMs,
      timeoutMs,
      now,
    }),
  );
  checks.push(
    ...(await checkResources({ stats: options.stats ?? createSystemStats(), stateDir: config.stateDir, ...resources })),
  );
  const loadRuntime = options.runtime ?? (async () => createOnnxRuntime());
  checks.push(await checkRuntime(loadRuntime));
  const runtime = await loadRuntime().catch(() => undefined);
  if (runtime !== undefined) {
    const slots = createSlotStore({ root: join(config.stateDir, 'slots') });
    checks.push(...(await checkModels({ slots, runtime, root: identity?.root })));
  }
  checks.push(await checkRelease(createReleaseStore({ stateDir: config.stateDir })));
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
}
