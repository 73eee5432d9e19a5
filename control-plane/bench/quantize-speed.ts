/**
 * Measures what dynamic int8 quantization buys on real models on this CPU, fp32 baseline measured in the same
 * run: batch-1 latency in onnxruntime-node with one thread, fp32 and int8 runs alternated so drift in machine
 * load hits both alike; file sizes; and how often the two agree. The headline fields are PaddleOCR's text
 * direction classifier (a small MobileNetV3, Conv-heavy); `keyword` is openWakeWord's hello_deepa head (Gemm).
 * `--profile` also prints per-operator kernel time from onnxruntime's trace. Profiling adds a fixed cost per
 * node, so its totals exceed the unprofiled medians, most for the int8 graph, which has more nodes.
 *
 *   npx tsx control-plane/bench/quantize-speed.ts [--profile] [--runs 300]
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mulberry32 } from '@edgefleet/protocol';
import * as ort from 'onnxruntime-node';
import { quantizeDynamic } from '../src/registry/quantize/index.js';

const { values: args } = parseArgs({
  options: { profile: { type: 'boolean', default: false }, runs: { type: 'string', default: '300' } },
});
const RUNS = Number(args.runs);
const WARMUP_RUNS = 30;

interface Subject {
  readonly file: string;
  readonly shape: readonly number[];
  /** Value range of the model's (normalised) input. */
  readonly range: readonly [number, number];
  /** Class index from the output, for agreement. */
  readonly label: (output: Float32Array) => number;
}

// Both models ship in devDependencies of the workspace's test package, which pnpm links into its node_modules.
const testPackages = fileURLToPath(new URL('../../test/node_modules/', import.meta.url));
const ocrAssets = join(testPackages, '@gutenye', 'ocr-models', 'assets');
const wakewordModels = join(testPackages, 'openwakeword-js', 'models');
const argmax = (p: Float32Array) => p.indexOf(Math.max(...p));
const SUBJECTS = {
  cnn: {
    file: join(ocrAssets, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    shape: [1, 3, 48, 192],
    range: [-1, 1],
    label: argmax,
  },
  keyword: {
    file: join(wakewordModels, 'hello_deepa.onnx'),
    shape: [1, 25, 96],
    range: [-2, 2],
    label: (p) => ((p[0] as number) > 0.5 ? 1 : 0),
  },
} satisfies Record<string, Subject>;

const profileDir = args.profile ? await mkdtemp(join(tmpdir(), 'quantize-speed-')) : '';
const cnnReport = await measure('cnn', SUBJECTS.cnn);
const keywordReport = await measure('keyword', SUBJECTS.keyword);
if (args.profile) await rm(profileDir, { recursive: true });
console.log(JSON.stringify({ threads: 1, runs: RUNS, ...cnnReport, keyword: keywordReport }, null, 2));

async function measure(name: string, subject: Subject): Promise<Record<string, unknown>> {
  const fp32Bytes = await readFile(subject.file);
  const { bytes: int8Bytes, quantized } = quantizeDynamic(fp32Bytes);
  // onnxruntime appends a timestamp to the prefix and endProfiling() returns nothing; traces are found by prefix.
  const open = (bytes: Uint8Array, variant: string) =>
    ort.InferenceSession.create(bytes, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      ...(args.profile ? { enableProfiling: true, profileFilePrefix: join(profileDir, `${name}-${variant}`) } : {}),
    });
  const sessions = { fp32: await open(fp32Bytes, 'fp32'), int8: await open(int8Bytes, 'int8') };
  const inputName = sessions.fp32.inputNames[0] as string;
  const outputName = sessions.fp32.outputNames[0] as string;
  const random = mulberry32(20_240_601);
  const [low, high] = subject.range;
  const size = subject.shape.reduce((a, b) => a * b, 1);
  const inputs = Array.from({ length: 50 }, () =>
    Float32Array.from({ length: size }, () => low + random() * (high - low)),
  );
  const run = async (session: ort.InferenceSession, i: number) => {
    const feeds = {
      [inputName]: new ort.Tensor('float32', inputs[i % inputs.length] as Float32Array, [...subject.shape]),
    };
    const start = performance.now();
    const output = await session.run(feeds);
    return { ms: performance.now() - start, output: output[outputName]?.data as Float32Array };
  };

  for (let i = 0; i < WARMUP_RUNS; i++) for (const session of Object.values(sessions)) await run(session, i);
  const fp32Ms: number[] = [];
  const int8Ms: number[] = [];
  let agreements = 0;
  let maxAbsDiff = 0;
  for (let i = 0; i < RUNS; i++) {
    // Alternate which model goes first so cache warmth favours neither.
    const int8First = i % 2 === 1;
    const first = await run(int8First ? sessions.int8 : sessions.fp32, i);
    const second = await run(int8First ? sessions.fp32 : sessions.int8, i);
    const [fp32, int8] = int8First ? [second, first] : [first, second];
    fp32Ms.push(fp32.ms);
    int8Ms.push(int8.ms);
    if (subject.label(fp32.output) === subject.label(int8.output)) agreements++;
    for (const [k, v] of fp32.output.entries())
      maxAbsDiff = Math.max(maxAbsDiff, Math.abs(v - (int8.output[k] as number)));
  }
  const report: Record<string, unknown> = {
    model: subject.file.split('/').at(-1),
    input: subject.shape,
    quantizedNodes: quantized.length,
    fp32P50Ms: round(median(fp32Ms)),
    int8P50Ms: round(median(int8Ms)),
    speedup: round(median(fp32Ms) / median(int8Ms)),
    fp32Bytes: fp32Bytes.length,
    int8Bytes: int8Bytes.length,
    sizeRatio: round(int8Bytes.length / fp32Bytes.length),
    argmaxAgreement: agreements / RUNS,
    maxAbsDiff: round(maxAbsDiff),
  };
  if (args.profile) {
    sessions.fp32.endProfiling();
    sessions.int8.endProfiling();
    report.fp32OpMs = await operatorBreakdown(`${name}-fp32`);
    report.int8OpMs = await operatorBreakdown(`${name}-int8`);
  }
  await Promise.all(Object.values(sessions).map((s) => s.release()));
  return report;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Kernel time per operator type per run, from onnxruntime's Chrome-trace profile (microseconds in the file). */
async function operatorBreakdown(prefix: string): Promise<Record<string, number>> {
  const file = (await readdir(profileDir)).find((entry) => entry.startsWith(prefix));
  if (file === undefined) throw new Error(`no ${prefix} profile in ${profileDir}`);
  type TraceEvent = { cat: string; name: string; dur: number; args?: { op_name?: string } };
  const events = JSON.parse(await readFile(join(profileDir, file), 'utf8')) as TraceEvent[];
  const totals = new Map<string, number>();
  for (const event of events) {
    if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time')) continue;
    const op = event.args?.op_name ?? 'unknown';
    totals.set(op, (totals.get(op) ?? 0) + event.dur);
  }
  // The trace holds warm-up and measured runs alike.
  const perRun = 1000 * (WARMUP_RUNS + RUNS);
  return Object.fromEntries([...totals].sort((x, y) => y[1] - x[1]).map(([op, us]) => [op, round(us / perRun)]));
}
