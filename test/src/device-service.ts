/**
 * The agent as a device service for e2e tests and benches, installed the way a device gets it: the
 * release artifact (bundle, native modules, start step) is assembled once, signed with the fleet's own
 * control-plane keys, installed by the artifact's own `agent.mjs install-service` into a temp root (no
 * checkout involved), and run from the written systemd unit by the test kit's unit runner (`runUnit`).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AssembledArtifact, assembleArtifact, signArtifact } from '@edgefleet/agent';
import { releaseSigning } from '@edgefleet/control-plane';
import { runUnit, type UnitRun } from '@edgefleet/test-kit';

export interface DeviceArtifact {
  readonly assembled: AssembledArtifact;
  /** The agent bundle's bytes: what `POST /v1/agent-releases` takes as a release. */
  readonly agentBytes: Uint8Array;
}

/** The artifact tree for this machine, unsigned (each fleet signs it with its own keys). */
export async function assembleDeviceArtifact(dir: string): Promise<DeviceArtifact> {
  const assembled = await assembleArtifact({ outDir: dir, version: '0.0.0-test' });
  return { assembled, agentBytes: new Uint8Array(await readFile(join(assembled.dir, 'agent.mjs'))) };
}

export interface InstalledDevice {
  readonly root: string;
  readonly unitPath: string;
  readonly stateDir: string;
  readonly configPath: string;
}

/**
 * Signs the artifact with the control plane's keys (`${dataDir}/keys.json`) and installs it under `root`
 * with `node <artifact>/agent.mjs install-service`; an `agent.json` already at `${root}/etc` is kept.
 */
export async function installDevice(
  artifact: DeviceArtifact,
  options: { root: string; controlPlaneDataDir: string; rootKeysHex: readonly string[] },
): Promise<InstalledDevice> {
  await signArtifact(artifact.assembled, releaseSigning(join(options.controlPlaneDataDir, 'keys.json')));
  const { root } = options;
  await promisify(execFile)(process.execPath, [
    join(artifact.assembled.dir, 'agent.mjs'),
    'install-service',
    '--prefix',
    join(root, 'opt'),
    '--unit-dir',
    join(root, 'unit'),
    '--config-dir',
    join(root, 'etc'),
    '--state-dir',
    join(root, 'state'),
    '--node',
    process.execPath,
    ...options.rootKeysHex.flatMap((key) => ['--root-key', key]),
  ]);
  return {
    root,
    unitPath: join(root, 'unit', 'edgefleet-agent.service'),
    stateDir: join(root, 'state'),
    configPath: join(root, 'etc', 'agent.json'),
  };
}

/**
 * Boots the installed service (again): the unit's start step, then the agent under the unit runner. The
 * environment is a device's: HOME is the install root, and neither the test runner's ORT_DISABLE_TELEMETRY
 * nor CI leaks in (only the unit's own settings keep onnxruntime's telemetry off).
 */
export function startService(device: InstalledDevice): Promise<UnitRun> {
  return runUnit(device.unitPath, {
    env: { EDGEFLEET_LOG_LEVEL: 'warn', HOME: device.root, ORT_DISABLE_TELEMETRY: undefined, CI: undefined },
  });
}
