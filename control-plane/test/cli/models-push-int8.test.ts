/**
 * `edgefleet models push --int8`, run as an operator runs it (the real binary, a child process talking HTTP
 * to a running control plane): the variant's registration is printed with its measured agreement; a refused
 * variant is printed with the reason and exits 1, the fp32 version staying registered.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BinaryRun, runBinary } from '@edgefleet/test-kit';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fixture, startFixture } from '../helpers/control-plane-fixture.js';
import { npyBytes } from '../registry/model-files.js';

const BIN = fileURLToPath(new URL('../../bin/edgefleet.js', import.meta.url));

let f: Fixture;
let dir: string;

function cli(args: string[]): Promise<BinaryRun> {
  return runBinary(BIN, args, {
    env: {
      PATH: process.env.PATH ?? '',
      EDGEFLEET_CONFIG: join(dir, 'config.json'),
      EDGEFLEET_SERVER: f.cp.httpUrl,
      EDGEFLEET_TOKEN: f.cp.adminToken,
    },
  });
}

// 64 hidden units: the 4 × 64 input layer reaches quantizeDynamic's 256-element floor, the 64 × 3 head not.
const wide = buildIrisModels({ hidden: 64 });
const narrow = buildIrisModels({ hidden: 8 });

beforeAll(async () => {
  f = await startFixture();
  dir = await mkdtemp(join(tmpdir(), 'edgefleet-cli-int8-'));
  const { features, labels } = wide.meta.testSet;
  await Promise.all([
    writeFile(join(dir, 'wide.onnx'), wide.fp32),
    writeFile(join(dir, 'narrow.onnx'), narrow.fp32),
    writeFile(join(dir, 'samples.json'), JSON.stringify(wide.meta.sampleInputs.slice(0, 4))),
    writeFile(
      join(dir, 'test-set.npy'),
      npyBytes({ type: 'float32', data: Float32Array.from(features.flat()), dims: [features.length, 4] }),
    ),
    writeFile(join(dir, 'labels.json'), JSON.stringify(labels)),
  ]);
}, 60_000);
afterAll(async () => {
  await f.close();
  await rm(dir, { recursive: true, force: true });
});

describe('edgefleet models push --int8', () => {
  it('registers the variant as the next version and prints its agreement; models ls shows it', async () => {
    const push = await cli([
      'models',
      'push',
      join(dir, 'wide.onnx'),
      '--line',
      'iris',
      '--samples',
      join(dir, 'samples.json'),
      '--int8',
      '--evaluation',
      join(dir, 'test-set.npy'),
      '--labels',
      join(dir, 'labels.json'),
    ]);
    expect(push.code, push.stderr).toBe(0);
    const rows = 4 + wide.meta.testSet.labels.length;
    expect(push.stdout).toMatch(
      new RegExp(
        `^registered iris@1 .*\\nregistered int8 variant iris@2 \\(\\d+ bytes, agreement \\d+\\.\\d% over ${rows} rows of probabilities \\(min 95\\.0%\\)\\)\\n$`,
      ),
    );
    const ls = await cli(['models', 'ls', 'iris']);
    expect(ls.stdout).toMatch(/^VERSION\s+SIZEBYTES\s+QUANTIZATION\s+AGREEMENT/);
    expect(ls.stdout).toMatch(/\n2\s+\d+\s+int8\s+\d+\.\d% with v1/);
    const json = await cli(['--json', 'models', 'ls', 'iris']);
    const [v2] = JSON.parse(json.stdout) as { quality: { labelled: number; referenceAccuracy: number } }[];
    expect(v2?.quality).toMatchObject({ labelled: wide.meta.testSet.labels.length });
  });

  it('prints why a variant was refused and exits 1, the fp32 version registered', async () => {
    const push = await cli([
      'models',
      'push',
      join(dir, 'narrow.onnx'),
      '--line',
      'iris-small',
      '--samples',
      join(dir, 'samples.json'),
      '--int8',
    ]);
    expect(push.code).toBe(1);
    expect(push.stdout).toMatch(
      /^registered iris-small@1 .*\nint8 variant refused: no MatMul, Gemm, Conv weight could be quantized \(.*below minElements 256\)\n$/,
    );
    const ls = await cli(['--json', 'models', 'ls', 'iris-small']);
    expect((JSON.parse(ls.stdout) as { version: number }[]).map((v) => v.version)).toEqual([1]);
  });

  it('refuses measurement flags without --int8, and a share outside [0, 1], before sending anything', async () => {
    const base = ['models', 'push', join(dir, 'wide.onnx'), '--line', 'iris-x', '--samples', join(dir, 'samples.json')];
    const without = await cli([...base, '--min-agreement', '0.9']);
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/add --int8 \(USAGE_INVALID\)/);
    const share = await cli([...base, '--int8', '--min-agreement', '95']);
    expect(share.code).toBe(2);
    expect(share.stderr).toContain('--min-agreement must be a share between 0 and 1, got 95');
  });
});
