/**
 * The README's first quick-start command: `pnpm demo` runs to the end, in a temporary directory, and shows
 * what it promises: models rolled out over MQTT, a drifting site flagged, a biased challenger stopped at its
 * first wave's gate with the fleet rolled back, and a federated job's model rolled out.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBinary } from '@edgefleet/test-kit';
import { afterEach, describe, expect, it } from 'vitest';

const TSX = createRequire(import.meta.url).resolve('tsx/cli');
// As `pnpm demo` runs it: the packages' TypeScript sources, through their export condition.
const SOURCE = '--conditions=@edgefleet/source';
const DEMO = fileURLToPath(new URL('../demo/run-demo.ts', import.meta.url));

describe('pnpm demo', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('runs every step and shows the gate stopping a bad model and the rollback', async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-demo-'));
    const run = await runBinary(TSX, [SOURCE, DEMO], {
      env: { ...(process.env as Record<string, string>), EDGEFLEET_DEMO_DIR: dir },
      timeoutMs: 180_000,
    });
    expect(run.stderr).not.toMatch(/demo failed/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\[10\/10\]/);
    expect(run.stdout).toMatch(/tag:site-c\s+alert/);
    expect(run.stdout).toMatch(/stopped v4: predictionShiftPsi [\d.]+ > 0\.2 in wave 1; the fleet rolled back to v5/);
    expect(run.stdout).toMatch(/iris-fl v2 registered with its lineage and rolled out to all agents/);
  }, 200_000);
});
