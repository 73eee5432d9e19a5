/**
 * The Runtime contract (DESIGN.md §1: one suite per interface, run against the real implementation and its
 * in-memory twin). A fixture supplies a runtime, a loadable model and an independent reference computation.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../src/errors.js';
import type { LoadOptions, Runtime, TensorData } from '../../src/runtime/runtime.js';

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

function tensorOf(rows: readonly (readonly number[])[]): TensorData {
  const width = rows[0]?.length ?? 0;
  return { data: Float32Array.from(rows.flat()), shape: [rows.length, width] };
}

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
    beforeEach(async () => {
      fixture = await setup();
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('runs a single row and a whole batch to the same outputs as the reference computation', async () => {
      const model = await fixture.runtime.load(fixture.model);
      for (const input of [tensorOf(fixture.rows.slice(0, 1)), tensorOf(fixture.rows)]) {
        const actual = await model.run(input);
        const expected = await fixture.reference(input);
        expect(actual.shape).toEqual(expected.shape);
        expect(actual.shape[0]).toBe(input.shape[0]);
        expect(Array.from(actual.data)).toEqual(Array.from(expected.data));
      }
      await model.close();
    });

    it('gives concurrent runs the same answers as sequential ones', async () => {
      const model = await fixture.runtime.load(fixture.model);
      const inputs = fixture.rows.map((row) => tensorOf([row]));
      const sequential: number[][] = [];
      for (const input of inputs) sequential.push(Array.from((await model.run(input)).data));
      const concurrent = await Promise.all(inputs.map((input) => model.run(input)));
      expect(concurrent.map((out) => Array.from(out.data))).toEqual(sequential);
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
      expect(await codeOf(model.run(tensorOf(fixture.rows.slice(0, 1))))).toBe('NO_MODEL');
    });

    it('keeps separately loaded models independent', async () => {
      const first = await fixture.runtime.load(fixture.model);
      const second = await fixture.runtime.load(fixture.model);
      await first.close();
      const input = tensorOf(fixture.rows.slice(0, 2));
      expect(Array.from((await second.run(input)).data)).toEqual(Array.from((await fixture.reference(input)).data));
      await second.close();
    });
  });
}
