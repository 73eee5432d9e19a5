/**
 * Runs the real `edgefleet-control-plane` binary as a child process, the way an operator runs a replica —
 * so a test can kill -9 it in the middle of its work. Resolves once the process printed where it listens.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CP_BIN = fileURLToPath(
  new URL('../node_modules/@edgefleet/control-plane/bin/edgefleet-control-plane.js', import.meta.url),
);

export interface ControlPlaneProcess {
  readonly child: ChildProcess;
  readonly httpUrl: string;
  /** The root public keys agents must pin, as printed in the banner. */
  readonly rootPublicKeysHex: string[];
  /** Everything the process wrote so far (banner and JSON log lines), for failing tests. */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startControlPlaneProcess(options: {
  readonly args: readonly string[];
  /** Another install's binary (a packed install, say); the workspace's by default. */
  readonly bin?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly startTimeoutMs?: number;
}): Promise<ControlPlaneProcess> {
  const child = spawn(process.execPath, [options.bin ?? CP_BIN, ...options.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const banner = await new Promise<{ httpUrl: string; keys: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`control plane did not start in time:\n${output}`)),
      options.startTimeoutMs ?? 30_000,
    );
    const onData = (d: Buffer) => {
      output += d.toString();
      const http = /HTTP:\s+(http:\/\/\S+)/.exec(output)?.[1];
      const keys = /root keys:\s+(.+)/.exec(output)?.[1];
      if (http !== undefined && keys !== undefined) {
        clearTimeout(timer);
        resolve({ httpUrl: http, keys });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`control plane exited with ${code} before it started:\n${output}`));
    });
  });
  return {
    child,
    httpUrl: banner.httpUrl,
    rootPublicKeysHex: banner.keys.trim().split(/,\s*/),
    output: () => output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
