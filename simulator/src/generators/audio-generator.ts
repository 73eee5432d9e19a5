/**
 * The audio generator: each device is one continuous seeded audio stream cut into frames of `frameSamples`
 * — a voiced tone (its own pitch in 110-400 Hz with a slow vibrato, plus its second harmonic) in loud
 * segments of 0.3-1.5 s alternating with near-silent ones, plus noise — so a voice-activity or keyword model
 * sees speech-like bursts and pauses. The phase and segment carry over from one frame to the next; the
 * cohort's drift multiplies the signal by `gain` from `drift.atMin` on (a quieter or louder microphone).
 * Frames fill the input's last axis; its other axes are 1 ([1, frameSamples] for silero VAD).
 */
import type { TensorDType, TensorSpec } from '@edgefleet/protocol';
import type { AudioData } from '../scenario/data-schema.js';
import { type CohortGenerator, driftStartMs } from './generator-types.js';
import { constantInputs, fillTensor } from './tensor-fill.js';

export const AUDIO_DTYPES: readonly TensorDType[] = ['float32', 'float16'];

/** [1, …, 1, frameSamples] of the input's rank. */
export function frameDims(spec: TensorSpec, frameSamples: number): number[] {
  return spec.shape.map((_, i) => (i === spec.shape.length - 1 ? frameSamples : 1));
}

export function createAudioGenerator(options: { data: AudioData; spec: TensorSpec; startMs: number }): CohortGenerator {
  const { data, spec } = options;
  const dims = frameDims(spec, data.frameSamples);
  const extra = constantInputs(data.extra);
  const driftFromMs = driftStartMs(data.drift, options.startMs);
  const rate = data.sampleRate;
  return {
    forDevice(rng) {
      const pitchHz = 110 + 290 * rng();
      const vibratoHz = 0.5 + 2 * rng();
      let n = 0;
      let phase = 0;
      let loud = rng() < 0.5;
      let amplitude = 0;
      let remaining = 0;
      return {
        next(atMs) {
          const gain = atMs >= driftFromMs ? (data.drift?.gain ?? 1) : 1;
          const frame = new Float32Array(data.frameSamples);
          for (let t = 0; t < frame.length; t++, n++, remaining--) {
            if (remaining <= 0) {
              loud = !loud;
              amplitude = loud ? 0.2 + 0.4 * rng() : 0.005 + 0.015 * rng();
              remaining = Math.round(rate * (0.3 + 1.2 * rng()));
            }
            const hz = pitchHz * (1 + 0.05 * Math.sin((2 * Math.PI * vibratoHz * n) / rate));
            phase = (phase + (2 * Math.PI * hz) / rate) % (2 * Math.PI);
            const voice = amplitude * (Math.sin(phase) + 0.3 * Math.sin(2 * phase));
            frame[t] = Math.min(1, Math.max(-1, gain * (voice + data.noise * (rng() - 0.5))));
          }
          const input =
            spec.dtype === 'float32'
              ? { type: 'float32' as const, data: frame, dims }
              : fillTensor(spec.dtype, dims, (k) => frame[k] as number);
          return { kind: 'tensors', feeds: { ...extra, [data.input]: input } };
        },
      };
    },
  };
}
