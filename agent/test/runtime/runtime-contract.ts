/**
 * The Runtime contract (DESIGN.md §1: one suite per interface, run against the real implementation and its
 * in-memory twin). A fixture supplies a runtime, a loadable model whose first input is float32 [N, F] and
 * whose first output is float32 [N, C], and an independent reference computation of that output. Graphs
 * with several inputs and outputs, which only onnxruntime runs, are covered in onnx-runtime.test.ts.
 */
import type { Tensor } from '@edgefleet/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../src/errors.js';
import { float32Tensor, type LoadOptions, type Runtime, type TensorData } from '../../src/runtime/runtime.js';

export interface RuntimeFixture {
  readonly runtime: Runtime;
  readonly model: LoadOptions;
  /** Path that does not hold a loadable model. */
  readonly missingPath: string;
  /** Input rows of the model's feature width. */
  readonly rows: readonly (readonly number[])[];
  reference(input: TensorData): Promise<TensorData>;
  cleanup(): Promise<void>;
}

function tabular(rows: readonly (readonly number[])[]): TensorData {
  return { data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0]?.length ?? 0] };
}

const tensorOf = (rows: readonly (readonly number[])[]): Tensor<'float32'> => float32Tensor(tabular(rows));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AgentError) return error.code;
    throw error;
  }
  throw new Error('expected an AgentError');
}

export function runtimeContract(name: string, setup: () => Promise<RuntimeFixture>): void {
  describe(`Runtime contract: ${name}`, () => {
    let fixture: RuntimeFixture;
    let input: string;
    let output: string;
    beforeEach(async () => {
      fixture = await setup();
      input = fixture.model.inputs[0]?.name as string;
      output = fixture.model.outputs[0]?.name as string;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    /** The model's first output for `rows` fed as its first input. */
    const outputOf = async (
      run: (feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>,
      rows = fixture.rows,
    ) => (await run({ [input]: tensorOf(rows) }))[output] as Tensor;

    it('runs a single row and a whole batch of named tensors to the reference outputs', async () => {
      const model = await fixture.runtime.load(fixture.model);
      for (const rows of [fixture.rows.slice(0, 1), fixture.rows]) {
        const actual = await outputOf((feeds) => model.run(feeds), rows);
        const expected = await fixture.reference(tabular(rows));
        expect(actual.type).toBe('float32');
        expect(actual.dims).toEqual(expected.shape);
        expect(actual.dims[0]).toBe(rows.length);
        expect(Array.from(actual.data as Float32Array)).toEqual(Array.from(expected.data));
      }
      await model.close();
    });

    it('returns every output of the contract, by name, when no fetches are given', async () => {
      const model = await fixture.runtime.load(fixture.model);
      const outputs = await model.run({ [input]: tensorOf(fixture.rows.slice(0, 2)) });
      expect(Object.keys(outputs).sort()).toEqual(fixture.model.outputs.map((t) => t.name).sort());
      await model.close();
    });

    it('gives concurrent runs the same answers as sequential ones', async () => {
      const model = await fixture.runtime.load(fixture.model);
      const run = (feeds: Record<string, Tensor>) => model.run(feeds);
      const sequential: number[][] = [];
      for (const row of fixture.rows) sequential.push(Array.from((await outputOf(run, [row])).data as Float32Array));
      const concurrent = await Promise.all(fixture.rows.map((row) => outputOf(run, [row])));
      expect(concurrent.map((out) => Array.from(out.data as Float32Array))).toEqual(sequential);
      await model.close();
    });

    it('hands back outputs a caller reusing its input buffer afterwards cannot change', async () => {
      const model = await fixture.runtime.load(fixture.model);
      const feed = tensorOf(fixture.rows.slice(0, 2));
      const out = (await model.run({ [input]: feed }))[output] as Tensor;
      const before = Array.from(out.data as Float32Array);
      feed.data.fill(1000);
      expect(Array.from(out.data as Float32Array)).toEqual(before);
      await model.close();
    });

    it('rejects a path that holds no model with MODEL_LOAD_FAILED', async () => {
      expect(await codeOf(fixture.runtime.load({ ...fixture.model, modelPath: fixture.missingPath }))).toBe(
        'MODEL_LOAD_FAILED',
      );
    });

    it('refuses to run once closed, and closing twice is harmless', async () => {
      const model = await fixture.runtime.load(fixture.model);
      await model.close();
      await model.close();
      expect(await codeOf(model.run({ [input]: tensorOf(fixture.rows.slice(0, 1)) }))).toBe('NO_MODEL');
    });

    it('keeps separately loaded models independent', async () => {
      const first = await fixture.runtime.load(fixture.model);
      const second = await fixture.runtime.load(fixture.model);
      await first.close();
      const rows = fixture.rows.slice(0, 2);
      const expected = await fixture.reference(tabular(rows));
      const actual = await outputOf((feeds) => second.run(feeds), rows);
      expect(Array.from(actual.data as Float32Array)).toEqual(Array.from(expected.data));
      await second.close();
    });
  });
}
