/**
 * The image generator: N seeded images per call in NCHW or NHWC, with structure a vision model responds to
 * rather than white noise — a background level with a gentle gradient, a few smooth dark stroke bands (a
 * sine of a random direction and period, thresholded), a per-channel tint — plus pixel noise and the
 * cohort's brightness (shifted by its drift from `drift.atMin` on). Pixels are on the 0-255 scale; uint8
 * inputs get them as they are, float inputs get pixel / 255, or (pixel / 255 − mean) / std with `normalize`.
 */
import type { Rng, Tensor, TensorDType } from '@edgefleet/protocol';
import type { ImageData } from '../scenario/data-schema.js';
import { type CohortGenerator, driftStartMs } from './generator-types.js';
import { constantInputs, fillTensor } from './tensor-fill.js';

export const IMAGE_DTYPES: readonly TensorDType[] = ['float32', 'float16', 'uint8'];

interface Geometry {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  /** Element strides of one image, one channel, one row and one column. */
  readonly stride: { readonly image: number; readonly channel: number; readonly y: number; readonly x: number };
}

function geometry(data: ImageData): Geometry {
  const [n, a, b, c] = data.dims as [number, number, number, number];
  const image = a * b * c;
  return data.layout === 'NCHW'
    ? { n, c: a, h: b, w: c, stride: { image, channel: b * c, y: c, x: 1 } }
    : { n, c, h: a, w: b, stride: { image, channel: 1, y: b * c, x: c } };
}

const perChannel = (value: number | number[] | undefined, fallback: number, c: number): number[] =>
  Array.isArray(value) ? value : Array.from({ length: c }, () => value ?? fallback);

/** The look of one image: a background level, its gradient, a tint per channel and a few stroke bands. */
function drawLayout(g: Geometry, rng: Rng) {
  const background = 90 + 130 * rng();
  const gx = ((rng() - 0.5) * 60) / g.w;
  const gy = ((rng() - 0.5) * 60) / g.h;
  const tint = Array.from({ length: g.c }, () => (rng() - 0.5) * 30);
  const strokes = Array.from({ length: 1 + Math.floor(rng() * 4) }, () => {
    const angle = rng() * Math.PI;
    const period = 4 + rng() * Math.max(4, Math.min(g.w, g.h) / 2);
    const kx = (Math.cos(angle) * 2 * Math.PI) / period;
    const ky = (Math.sin(angle) * 2 * Math.PI) / period;
    const phase = rng() * 2 * Math.PI;
    // sin(kx·x + ky·y + phase) = sin(a)cos(b) + cos(a)sin(b): one table per axis, no sine per pixel.
    const axis = (n: number, k: number, offset: number) => {
      const sin = new Float64Array(n);
      const cos = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        sin[i] = Math.sin(k * i + offset);
        cos[i] = Math.cos(k * i + offset);
      }
      return { sin, cos };
    };
    return { x: axis(g.w, kx, 0), y: axis(g.h, ky, phase), depth: 60 + 80 * rng() };
  });
  return { background, gx, gy, tint, strokes };
}

/**
 * Image `i` into `out`: pixels on the 0-255 scale (clamped), written as `pixel · scale[ch] + offset[ch]`
 * (the normalisation; scale 1, offset 0 for uint8).
 */
function drawImage(
  g: Geometry,
  i: number,
  rng: Rng,
  look: { brightness: number; noise: number; scale: readonly number[]; offset: readonly number[] },
  out: Float32Array,
) {
  const { background, gx, gy, tint, strokes } = drawLayout(g, rng);
  const { stride } = g;
  for (let y = 0; y < g.h; y++) {
    for (let x = 0; x < g.w; x++) {
      const at = i * stride.image + y * stride.y + x * stride.x;
      let level = background + gx * x + gy * y + look.brightness;
      for (const s of strokes) {
        const v = (s.x.sin[x] as number) * (s.y.cos[y] as number) + (s.x.cos[x] as number) * (s.y.sin[y] as number);
        // A smooth band edge (not a hard threshold): the ramp spans a few pixels, as an anti-aliased stroke.
        if (v > 0.6) level -= s.depth * Math.min(1, (v - 0.6) * 4);
      }
      for (let ch = 0; ch < g.c; ch++) {
        const raw = level + (tint[ch] as number) + look.noise * (rng() - 0.5);
        const pixel = Math.min(255, Math.max(0, raw));
        out[at + ch * stride.channel] = pixel * (look.scale[ch] as number) + (look.offset[ch] as number);
      }
    }
  }
}

export function createImageGenerator(options: {
  data: ImageData;
  dtype: TensorDType;
  startMs: number;
}): CohortGenerator {
  const { data, dtype } = options;
  const g = geometry(data);
  const mean = perChannel(data.normalize?.mean, 0, g.c);
  const std = perChannel(data.normalize?.std, 1, g.c);
  // (pixel / 255 − mean) / std = pixel · scale + offset.
  const raw = dtype === 'uint8';
  const scale = std.map((sd) => (raw ? 1 : 1 / (255 * sd)));
  const offset = mean.map((m, ch) => (raw ? 0 : -m / (std[ch] as number)));
  const extra = constantInputs(data.extra);
  const driftFromMs = driftStartMs(data.drift, options.startMs);
  return {
    forDevice: (rng) => ({
      next(atMs) {
        const brightness = data.brightness + (atMs >= driftFromMs ? (data.drift?.brightness ?? 0) : 0);
        const pixels = new Float32Array(g.n * g.c * g.h * g.w);
        const look = { brightness, noise: data.noise, scale, offset };
        for (let i = 0; i < g.n; i++) drawImage(g, i, rng, look, pixels);
        const image: Tensor =
          dtype === 'float32'
            ? { type: 'float32', data: pixels, dims: [...data.dims] }
            : fillTensor(dtype, data.dims, (k) => pixels[k] as number);
        return { kind: 'tensors', feeds: { ...extra, [data.input]: image } };
      },
    }),
  };
}
