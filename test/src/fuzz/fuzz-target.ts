/**
 * One fuzz target = one external parser, an input generator and a verdict per input. The verdict is
 * 'accepted' or 'rejected'; a target throws a `FuzzFinding` when the parser crashed (threw anything but the
 * package's coded error, or the process-level equivalent: a 5xx) or accepted an input the independent
 * oracle calls invalid. `runFuzzTarget` runs a target with fast-check at a fixed seed and returns counts
 * for the test assertions and the soak report.
 */
import { EdgefleetError } from '@edgefleet/protocol';
import fc from 'fast-check';

export type Verdict = 'accepted' | 'rejected';

export class FuzzFinding extends Error {
  constructor(
    readonly kind: 'crash' | 'accepted-invalid',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${kind}: ${message}`, options);
  }
}

export interface FuzzTarget<T> {
  readonly name: string;
  readonly input: fc.Arbitrary<T>;
  check(input: T): Verdict | Promise<Verdict>;
}

export interface FuzzResult {
  readonly name: string;
  readonly cases: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly crashes: number;
  readonly acceptedInvalid: number;
  readonly counterexample?: string;
  readonly finding?: string;
}

/** Runs `parse`; a coded EdgefleetError is a rejection, anything else thrown is a crash. */
export function rejectsCleanly(
  parse: () => unknown,
): { verdict: 'accepted'; value: unknown } | { verdict: 'rejected' } {
  try {
    return { verdict: 'accepted', value: parse() };
  } catch (error) {
    if (error instanceof EdgefleetError) return { verdict: 'rejected' };
    throw new FuzzFinding('crash', error instanceof Error ? error.message : String(error), { cause: error });
  }
}

export async function runFuzzTarget<T>(
  target: FuzzTarget<T>,
  options: { numRuns: number; seed: number },
): Promise<FuzzResult> {
  let accepted = 0;
  let rejected = 0;
  const property = fc.asyncProperty(target.input, async (input) => {
    const verdict = await target.check(input);
    if (verdict === 'accepted') accepted++;
    else rejected++;
  });
  // No shrinking: the first counterexample is reported as is, so a failing CI run stays fast.
  const details = await fc.check(property, { numRuns: options.numRuns, seed: options.seed, endOnFailure: true });
  const error = details.errorInstance;
  const finding = error instanceof FuzzFinding ? error : undefined;
  const failed = details.failed;
  return {
    name: target.name,
    cases: details.numRuns,
    accepted,
    rejected,
    crashes: failed && finding?.kind !== 'accepted-invalid' ? 1 : 0,
    acceptedInvalid: finding?.kind === 'accepted-invalid' ? 1 : 0,
    ...(failed
      ? {
          counterexample: fc.stringify(details.counterexample).slice(0, 2000),
          finding: error instanceof Error ? error.message : String(error),
        }
      : {}),
  };
}
