import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { LoadOptions } from '@edgefleet/agent';
import {
  decodeMcuModel,
  encodeTensorMap,
  packModelBundle,
  runMcuModel,
  systemClock,
  type Tensor,
  type TensorSpec,
} from '@edgefleet/protocol';
import { buildIrisMcuModel } from '@edgefleet/test-kit/models';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMcuEmulator,
  createMcuRuntime,
  createMcuSession,
  openMemorySerialPair,
  type TransferResult,
} from '../../src/index.js';

const logger = pino({ level: 'silent' });
const iris = buildIrisMcuModel({ hidden: 8 });
const INPUTS: TensorSpec[] = [{ name: 'features', dtype: 'float32', shape: [-1, 4] }];
const OUTPUTS: TensorSpec[] = [{ name: 'probabilities', dtype: 'float32', shape: [-1, 3] }];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const rowsTensor = (rows: readonly (readonly number[])[]): Tensor => ({
  type: 'float32',
  data: Float32Array.from(rows.flat()),
  dims: [rows.length, rows[0]?.length ?? 0],
});

/** The reference arithmetic's outputs for `rows`: what the registry computes and the MCU must reproduce. */
const reference = (rows: readonly (readonly number[])[]) =>
  Array.from(runMcuModel(decodeMcuModel(iris.bytes), Float32Array.from(rows.flat()), rows.length));

/** An emulated MCU on an in-memory line, the runtime of its child agent, and an installed bundle of `image`. */
async function setup(image = iris.bytes) {
  const [gatewayEnd, mcuEnd] = openMemorySerialPair({ baudRate: 115_200 });
  const session = createMcuSession({ transport: gatewayEnd, gatewayId: 'gw-1', clock: systemClock, logger });
  const emulator = createMcuEmulator({ transport: mcuEnd, mcuId: 'mcu-1', logger });
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-mcu-runtime-'));
  closers.push(
    () => rm(dir, { recursive: true, force: true }),
    () => session.close(),
    () => emulator.close(),
  );
  await session.whenUp(2000);
  const transfers: TransferResult[] = [];
  const runtime = createMcuRuntime({ session, clock: systemClock, logger, onTransfer: (t) => transfers.push(t) });
  // The installed slot file: the image, then the self-test set (protocol model-bundle.ts).
  const rows = iris.sampleInputs.slice(0, 2);
  const bundle = packModelBundle(image, {
    _type: 'self-test-set',
    vectors: [
      {
        inputs: encodeTensorMap({ features: rowsTensor(rows) }),
        outputs: encodeTensorMap({ probabilities: rowsTensor([reference(rows)]) }),
      },
    ],
  });
  const bundlePath = join(dir, 'model.bin');
  await writeFile(bundlePath, bundle.bytes);
  const load: LoadOptions = { modelPath: bundlePath, modelBytes: bundle.modelBytes, inputs: INPUTS, outputs: OUTPUTS };
  return { runtime, emulator, transfers, load };
}

describe('the mcu-int8 runtime', () => {
  it('delivers only the head of the bundle (the image) to flash, and the MCU answers named tensors', async () => {
    const { runtime, emulator, transfers, load } = await setup();
    const model = await runtime.load(load);
    expect(transfers.map((t) => t.crc)).toEqual([crc32(iris.bytes)]);
    expect(emulator.stats().imagesCommitted).toBe(1);
    // 20 rows: more than one infer request (16 rows each) to the MCU.
    const rows = iris.testSet.features.slice(0, 20);
    const outputs = await model.run({ features: rowsTensor(rows) });
    expect(Object.keys(outputs)).toEqual(['probabilities']);
    expect(outputs.probabilities).toMatchObject({ type: 'float32', dims: [20, 3] });
    expect(Array.from(outputs.probabilities?.data as Float32Array)).toEqual(reference(rows));
    await model.close();
  });

  it('sends no chunk of an image the MCU already holds when the model is loaded again', async () => {
    const { runtime, emulator, transfers, load } = await setup();
    await (await runtime.load(load)).close();
    const again = await runtime.load(load);
    expect(transfers[0]?.chunksSent).toBeGreaterThan(0);
    expect(transfers.slice(1).map((t) => t.chunksSent)).toEqual([0]);
    expect(emulator.stats().imagesCommitted).toBe(1);
    await again.close();
  });

  it('uses the tensor names of the manifest it is loaded with', async () => {
    const { runtime, load } = await setup();
    const model = await runtime.load({
      ...load,
      inputs: [{ ...INPUTS[0]!, name: 'x' }],
      outputs: [{ ...OUTPUTS[0]!, name: 'y' }],
    });
    const rows = iris.testSet.features.slice(0, 3);
    const outputs = await model.run({ x: rowsTensor(rows) });
    expect(Object.keys(outputs)).toEqual(['y']);
    expect(Array.from(outputs.y?.data as Float32Array)).toEqual(reference(rows));
    await expect(model.run({ features: rowsTensor(rows) })).rejects.toMatchObject({ code: 'INPUT_MISSING' });
    await model.close();
  });

  it('refuses inputs that are not float32 [N, F] and runs on a closed model', async () => {
    const { runtime, load } = await setup();
    const model = await runtime.load(load);
    await expect(model.run({ features: rowsTensor([[1, 2, 3]]) })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    const ints: Tensor = { type: 'int32', data: Int32Array.from([1, 2, 3, 4]), dims: [1, 4] };
    await expect(model.run({ features: ints })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await model.close();
    await expect(model.run({ features: rowsTensor([[1, 2, 3, 4]]) })).rejects.toMatchObject({ code: 'NO_MODEL' });
  });

  it('refuses, with MODEL_LOAD_FAILED and without a transfer, a bundle whose head is not an MCU image', async () => {
    const { runtime, transfers, load } = await setup(new Uint8Array(300).fill(7));
    await expect(runtime.load(load)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    await expect(runtime.load({ ...load, modelBytes: 10_000_000 })).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
    });
    expect(transfers).toEqual([]);
  });

  it('refuses a contract with more than one input or output', async () => {
    const { runtime, load } = await setup();
    const second: TensorSpec = { name: 'extra', dtype: 'float32', shape: [-1, 4] };
    await expect(runtime.load({ ...load, inputs: [...INPUTS, second] })).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
    });
  });
});
