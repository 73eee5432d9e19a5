/**
 * Runs the documentation's walk-throughs: a ```sh block right after a `<!-- doc-test -->` line is a script
 * a reader may paste. The runner executes it with bash (`set -euo pipefail`) from the repository root, with
 * `.data/` moved to a temporary directory and the documented ports (8080 HTTP, 1883 MQTT, 8711 the agent's
 * local API) moved to free ones, then stops whatever the block left running in the background.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '@edgefleet/test-kit';

export function docTestBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^<!-- doc-test -->\s*\n```sh\n([\s\S]*?)^```/gm)].map((m) => m[1] as string);
}

export interface DocBlockRun {
  readonly code: number | null;
  readonly output: string;
}

export async function runDocBlock(
  block: string,
  options: { repoRoot: string; dir: string; timeoutMs?: number },
): Promise<DocBlockRun> {
  const ports = new Map<string, string>();
  for (const documented of ['8080', '1883', '8711']) ports.set(documented, String(await freePort()));
  const script = block
    .replace(/\.data\//g, `${options.dir}/`)
    .replace(/\b(8080|1883|8711)\b/g, (port) => ports.get(port) as string);
  const file = join(options.dir, 'doc-block.sh');
  await writeFile(file, `set -euo pipefail\n${script}`);
  const child = spawn('bash', [file], {
    cwd: options.repoRoot,
    detached: true, // its own process group: background jobs are stopped with it
    env: { ...process.env, EDGEFLEET_CONFIG: join(options.dir, 'cli-config.json'), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  // The last output may still be in the pipes; a background job that kept them open must not hold us up.
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2_000))]);
  try {
    process.kill(-(child.pid as number), 'SIGTERM');
  } catch {
    // nothing left running
  }
  return { code, output };
}
