import { join } from 'node:path';
import { createMemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { createOnnxRuntime } from '../../src/runtime/onnx-runtime.js';
import type { TensorData } from '../../src/runtime/runtime.js';
import { irisLoadOptions, irisModels, rawSession, writeIrisFiles } from './fixtures.js';
import { runtimeContract } from './runtime-contract.js';

runtimeContract('onnxruntime-node', async () => {
  const files = await writeIrisFiles();
  const raw = await rawSession(files.fp32Path);
  const { sampleInputs } = irisModels().meta;
  return {
    runtime: createOnnxRuntime(),
    model: irisLoadOptions(files.fp32Path),
    missingPath: join(files.dir, 'absent.onnx'),
    rows: sampleInputs,
    reference: (input) => raw.run(input),
    async cleanup() {
      await raw.release();
      await files.cleanup();
    },
  };
});

/** A 4 → 3 linear layer and softmax in float32, standing in for the iris classifier. */
function tinyClassifier(input: TensorData): TensorData {
  const rows = input.shape[0] ?? 0;
  const out = new Float32Array(rows * 3);
  for (let r = 0; r < rows; r++) {
    const x = input.data.subarray(r * 4, r * 4 + 4);
    const logits = [0, 1, 2].map((c) => x.reduce((sum, v, i) => sum + v * ((c + 1) * 0.1 - i * 0.05), 0));
    const top = Math.max(...logits);
    const exp = logits.map((l) => Math.exp(l - top));
    const total = exp.reduce((a, b) => a + b, 0);
    exp.forEach((e, c) => {
      out[r * 3 + c] = e / total;
    });
  }
  return { data: out, shape: [rows, 3] };
}

runtimeContract('in-memory twin', async () => ({
  runtime: createMemoryRuntime({ '/models/iris.onnx': tinyClassifier }),
  model: irisLoadOptions('/models/iris.onnx'),
  missingPath: '/models/absent.onnx',
  rows: irisModels().meta.sampleInputs,
  reference: async (input) => tinyClassifier(input),
  cleanup: async () => {},
}));
