import { CP_TO_DEVICE, DEVICE_TO_CP } from '@edgefleet/protocol';
import { describe, expect, it } from 'vitest';
import { runFuzzTarget } from '../src/fuzz/fuzz-target.js';
import { topicTarget } from '../src/fuzz/topic-targets.js';

const CASES = 10_000;

describe('fuzzing the CBOR message parser of every MQTT topic (10,000 cases each)', () => {
  for (const kind of [...DEVICE_TO_CP, ...CP_TO_DEVICE]) {
    it(`${kind}: no crash, no invalid input accepted`, async () => {
      const result = await runFuzzTarget(topicTarget(kind), { numRuns: CASES, seed: 9 });
      expect(result, result.finding).toMatchObject({ cases: CASES, crashes: 0, acceptedInvalid: 0 });
      // The mutants must reach past the codec: some are accepted, so the schema path is exercised too.
      expect(result.accepted).toBeGreaterThan(0);
    });
  }
});
