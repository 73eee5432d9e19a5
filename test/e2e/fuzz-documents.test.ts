import { describe, expect, it } from 'vitest';
import { DOCUMENT_TARGETS } from '../src/fuzz/document-targets.js';
import { runFuzzTarget } from '../src/fuzz/fuzz-target.js';

const CASES = 10_000;

describe('fuzzing the signed-document verifiers (10,000 cases each)', () => {
  for (const [name, target] of Object.entries(DOCUMENT_TARGETS)) {
    it(`${name}: no crash, no forged or invalid document accepted`, async () => {
      const result = await runFuzzTarget(target(), { numRuns: CASES, seed: 9 });
      expect(result, result.finding).toMatchObject({ cases: CASES, crashes: 0, acceptedInvalid: 0 });
      expect(result.accepted).toBeGreaterThan(0);
    });
  }
});
