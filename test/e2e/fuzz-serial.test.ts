import { describe, expect, it } from 'vitest';
import { runFuzzTarget } from '../src/fuzz/fuzz-target.js';
import { serialTarget } from '../src/fuzz/serial-targets.js';

describe('fuzzing the firmware bridge serial frame and message parser', () => {
  it('survives 10,000 damaged or hostile frames: no crash, nothing invalid accepted', async () => {
    const result = await runFuzzTarget(serialTarget(), { numRuns: 10_000, seed: 9 });
    expect(result, result.finding).toMatchObject({ cases: 10_000, crashes: 0, acceptedInvalid: 0 });
    expect(result.accepted).toBeGreaterThan(0);
  });
});
