/**
 * Runs the real `edgefleet-agent` binary as a child process with a JSON config file, the way a device
 * runs it under systemd — so tests can kill -9 it at any moment and restart it on the same state dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// The installed package's bin, as `pnpm exec edgefleet-agent` would find it.
const AGENT_BIN = fileURLToPath(new URL('../node_modules/@edgefleet/agent/bin/edgefleet-agent.js', import.meta.url));

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  /** Everything the process wrote to stdout/stderr so far (JSON log lines). */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function writeAgentConfig(path: string, config: Record<string, unknown>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
}

/** `bin`: another install's binary (a packed install, say); the workspace's by default. */
export function startAgentProcess(configPath: string, options: { bin?: string } = {}): AgentProcess {
  const child = spawn(process.execPath, [options.bin ?? AGENT_BIN, '--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
