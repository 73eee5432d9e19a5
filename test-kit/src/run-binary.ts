/** Runs one of the project's binaries as a child process, the way a user runs it; never rejects. */
import { execFile } from 'node:child_process';

export interface BinaryRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runBinary(
  path: string,
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<BinaryRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path, ...args],
      { ...(options.env === undefined ? {} : { env: options.env }), timeout: options.timeoutMs ?? 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
