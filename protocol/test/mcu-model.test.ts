import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMcuModel,
  encodeMcuModel,
  type McuModel,
  mcuModelArenaBytes,
  ProtocolError,
  runMcuModel,
} from '../src/index.js';

/** A 2-feature, 3-class logistic regression whose integer arithmetic is easy to follow by hand. */
function logisticRegression(): McuModel {
  return {
    features: 2,
    inputOffset: Float32Array.from([1, 0]),
    inputScale: Float32Array.from([0.5, 0.25]),
    layers: [
      {
        inputs: 2,
        outputs: 3,
        activation: 'none',
        weightScale: 0.125,
        outputScale: 0,
        weights: Int8Array.from([8, 0, 0, 8, -8, -8]),
        bias: Int32Array.from([0, 0, 16]),
      },
    ],
  };
}

/** Scales are float32 on the wire; these are exact in float32 so the round trip compares equal. */
function mlp(): McuModel {
  return {
    features: 3,
    inputOffset: Float32Array.from([0, 0, 0]),
    inputScale: Float32Array.from([0.125, 0.125, 0.125]),
    layers: [
      {
        inputs: 3,
        outputs: 5,
        activation: 'relu',
        weightScale: 0.0078125,
        outputScale: 0.0625,
        weights: Int8Array.from({ length: 15 }, (_, i) => ((i * 37) % 255) - 127),
        bias: Int32Array.from([1, -2, 3, -400, 5]),
      },
      {
        inputs: 5,
        outputs: 2,
        activation: 'none',
        weightScale: 0.015625,
        outputScale: 0,
        weights: Int8Array.from([1, -2, 3, -4, 5, 6, -7, 8, -9, 10]),
        bias: Int32Array.from([0, 100]),
      },
    ],
  };
}

describe('mcu-int8 model format', () => {
  it('round-trips a model through its byte layout', () => {
    for (const model of [logisticRegression(), mlp()]) {
      const bytes = encodeMcuModel(model);
      expect(decodeMcuModel(bytes)).toEqual(model);
    }
  });

  it('runs the integer arithmetic of the reference: quantize, int32 accumulate, scale, softmax', () => {
    const model = logisticRegression();
    // x = (3, 1): q = (round((3-1)/0.5), round(1/0.25)) = (4, 4); acc = (32, 32, -64+16 = -48); logits ×0.125
    const out = runMcuModel(model, Float32Array.from([3, 1]), 1);
    const logits = [4, 4, -6];
    const exp = logits.map((l) => Math.exp(l - 4));
    const sum = exp.reduce((a, b) => a + b, 0);
    for (let c = 0; c < 3; c++) expect(out[c]).toBeCloseTo((exp[c] as number) / sum, 6);
  });

  it('saturates quantized inputs at ±127 instead of wrapping', () => {
    const model = logisticRegression();
    const far = runMcuModel(model, Float32Array.from([1000, 0]), 1);
    const edge = runMcuModel(model, Float32Array.from([1 + 127 * 0.5, 0]), 1);
    expect(Array.from(far)).toEqual(Array.from(edge));
  });

  it('answers every row of a batch as it answers the row alone', () => {
    const model = mlp();
    const rows = [
      [0.3, -1.2, 2],
      [5, 5, -5],
    ];
    const batch = runMcuModel(model, Float32Array.from(rows.flat()), 2);
    const alone = rows.flatMap((row) => Array.from(runMcuModel(model, Float32Array.from(row), 1)));
    expect(Array.from(batch)).toEqual(alone);
    expect(mcuModelArenaBytes(model)).toBe(2 * 5 + 4 * 2);
  });

  it.each([
    ['bad magic', (b: Uint8Array) => b.set([0x58], 0)],
    ['a wrong layer width', (b: Uint8Array) => b.set([9], 8 + 8 * 3)],
    ['an unknown activation', (b: Uint8Array) => b.set([7], 8 + 8 * 3 + 4)],
  ])('refuses an image with %s', (_, corrupt) => {
    const bytes = encodeMcuModel(mlp());
    corrupt(bytes);
    expect(() => decodeMcuModel(bytes)).toThrow(ProtocolError);
  });

  it('refuses every truncation and any trailing byte', () => {
    const bytes = encodeMcuModel(mlp());
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), (length) => {
        expect(() => decodeMcuModel(bytes.subarray(0, length))).toThrow(/MCU|mcu-int8/);
      }),
    );
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(() => decodeMcuModel(longer)).toThrow(/trailing/);
  });
});
