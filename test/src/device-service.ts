/**
 * The agent as a device service for e2e tests and benches: bundles the launcher and the agent
 * once (esbuild, as install-service does), and runs the launcher as its own process group — what systemd
 * runs — so a test can cut the power (SIGKILL to the whole group) at any moment and boot it again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBundle, linkNativeModules } from '@edgefleet/agent';

export interface ServiceBuild {
  readonly dir: string;
  readonly launcherPath: string;
  readonly agentPath: string;
  /** The agent bundle's bytes: what `POST /v1/agent-releases` takes as a release. */
  readonly agentBytes: Uint8Array;
}

export async function buildService(dir: string): Promise<ServiceBuild> {
  const launcherPath = join(dir, 'launcher.mjs');
  const agentPath = join(dir, 'agent.mjs');
  await buildBundle({ entry: 'launcher', outFile: launcherPath });
  await buildBundle({ entry: 'agent', outFile: agentPath });
  await linkNativeModules(dir);
  return { dir, launcherPath, agentPath, agentBytes: new Uint8Array(await readFile(agentPath)) };
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Power cut: SIGKILL to the launcher and every agent it started. */
  powerCut(): Promise<void>;
  /** What `systemctl stop` does: SIGTERM to the launcher, which stops its agent. */
  stop(): Promise<number | null>;
}

export function startService(build: ServiceBuild, configPath: string): ServiceProcess {
  const child = spawn(process.execPath, [build.launcherPath, '--config', configPath, '--base', build.agentPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => output,
    async powerCut() {
      try {
        // The group, not the pid: the agent child dies in the same instant, as on a real power cut.
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    },
    async stop() {
      if (alive()) child.kill('SIGTERM');
      const code = await exited;
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // nothing left
      }
      return code;
    },
  };
}
