/**
 * onnxruntime-node 1.30 collects telemetry unless told not to: a `/tmp/mat-debug-<pid>.log` per process and a
 * database under `~/.cache/Microsoft/DeveloperTools/`. The agent's runtime turns it off by default. Each case
 * runs in a child process with a fresh HOME and without ORT_DISABLE_TELEMETRY or CI, as a device starts; the
 * raw-session case shows the check can fail.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTinyOnnx, TWO_BY_TWO } from '../helpers/tiny-onnx.js';

const run = promisify(execFile);
const RUNTIME = new URL('../../src/runtime/onnx-runtime.ts', import.meta.url).pathname;
const ORT_MODULE = import.meta.resolve('onnxruntime-node');

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Runs `body` in a child (tsx), returns the files onnxruntime left behind for that child. */
async function traces(body: string): Promise<{ matDebug: boolean; cache: boolean }> {
  dir = await mkdtemp(join(tmpdir(), 'ort-telemetry-'));
  const model = join(dir, 'model.onnx');
  await writeFile(model, buildTinyOnnx(TWO_BY_TWO));
  const script = join(dir, 'child.mts');
  // The child first removes a log a former process with its pid left (/tmp outlives pids), so a log found
  // afterwards is its own.
  const prelude = `import { rmSync } from 'node:fs';\nrmSync(\`/tmp/mat-debug-\${process.pid}.log\`, { force: true });\n`;
  await writeFile(script, `${prelude}${body}\nconsole.log(process.pid);\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: dir, MODEL: model, RUNTIME, ORT_MODULE };
  delete env.ORT_DISABLE_TELEMETRY;
  // onnxruntime's telemetry also stays quiet when CI is set; a device has no CI variable.
  delete env.CI;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { env, cwd: process.cwd() });
  const pid = stdout.trim().split('\n').at(-1);
  const log = `/tmp/mat-debug-${pid}.log`;
  const matDebug = existsSync(log);
  await rm(log, { force: true });
  return { matDebug, cache: existsSync(join(dir, '.cache')) };
}

describe('onnxruntime telemetry', () => {
  it('is off for models the agent runtime loads', async () => {
    const found = await traces(`
      const { createOnnxRuntime } = await import(process.env.RUNTIME);
      const model = await createOnnxRuntime().load({ modelPath: process.env.MODEL, inputs: [], outputs: [] });
      await model.close();`);
    expect(found).toEqual({ matDebug: false, cache: false });
  }, 30_000);

  it('leaves its traces for a raw session created without the agent (what the default prevents)', async () => {
    const found = await traces(`
      const ort = await import(process.env.ORT_MODULE);
      const session = await ort.InferenceSession.create(process.env.MODEL);
      await session.release();`);
    expect(found.matDebug).toBe(true);
  }, 30_000);
});
