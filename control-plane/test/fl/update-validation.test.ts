import { describe, expect, it } from 'vitest';
import { type ClientUpdate, ControlPlaneError, validateUpdate } from '../../src/index.js';

const PARAMS = 6;

function update(overrides: Partial<ClientUpdate> = {}): ClientUpdate {
  return { deviceId: 'dev-1', delta: new Float32Array(PARAMS).fill(0.01), sampleCount: 32, ...overrides };
}

function rejection(candidate: ClientUpdate): ControlPlaneError {
  try {
    validateUpdate(candidate, PARAMS);
  } catch (error) {
    if (error instanceof ControlPlaneError) return error;
    throw error;
  }
  throw new Error('update was accepted');
}

describe('validateUpdate', () => {
  it('accepts a finite delta of the model’s length with a positive integer sample count', () => {
    expect(() => validateUpdate(update(), PARAMS)).not.toThrow();
  });

  it('rejects a delta of the wrong shape with FL_UPDATE_INVALID naming the device', () => {
    for (const delta of [new Float32Array(PARAMS - 1), new Float32Array(PARAMS + 1), new Float32Array(0)]) {
      const error = rejection(update({ delta }));
      expect(error.code).toBe('FL_UPDATE_INVALID');
      expect(error.details).toMatchObject({ deviceId: 'dev-1', reason: 'wrong-length' });
    }
    const float64 = new Float64Array(PARAMS) as unknown as Float32Array;
    expect(rejection(update({ delta: float64 })).details).toMatchObject({ reason: 'wrong-length' });
  });

  it('rejects NaN and ±Inf anywhere in the delta, reporting the first bad coordinate', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const delta = new Float32Array(PARAMS).fill(0.5);
      delta[PARAMS - 1] = bad;
      const error = rejection(update({ delta }));
      expect(error.code).toBe('FL_UPDATE_INVALID');
      expect(error.details).toMatchObject({ reason: 'non-finite', index: PARAMS - 1 });
    }
  });

  it('rejects a sample count that is not a positive integer', () => {
    for (const sampleCount of [0, -3, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      const error = rejection(update({ sampleCount }));
      expect(error.code).toBe('FL_UPDATE_INVALID');
      expect(error.details).toMatchObject({ reason: 'bad-sample-count' });
    }
  });
});
