/**
 * `edgefleet models push <file.onnx> --line <l> [--version n] --samples <file.json> [--reference <file.json>]
 * [--int8 [--min-agreement x] [--evaluation <file>] [--labels <file.json>]]` uploads a model with a progress
 * bar (the server computes self-test vectors from the sample inputs; with --int8 it also derives, measures
 * and registers the int8 variant as the next version, or says why not — exit code 1 then, as the push did
 * not deliver what it was asked for); `edgefleet models ls [line]` lists lines, or one line's versions.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { ControlPlaneError } from '../../errors.js';
import { type CliContext, EXIT } from '../context.js';
import { readInputFile } from '../input-file.js';
import { table, time } from '../output.js';

/** A bare array of input rows, or an object carrying `sampleInputs` (the demo's iris-meta.json). */
const samplesFile = z.union([
  z.array(z.array(z.number())),
  z.object({ sampleInputs: z.array(z.array(z.number())) }).transform((m) => m.sampleInputs),
]);

const labelsFile = z.array(z.int().nonnegative());

interface Pushed {
  line: string;
  version: number;
  digest: string;
  sizeBytes: number;
  chunkCount: number;
  int8?: {
    refused: boolean;
    version?: number;
    sizeBytes?: number;
    message?: string;
    minAgreement: number;
    quality?: { agreement: number; compared: number; metric: string; output: string };
  };
}

interface PushOptions {
  line: string;
  samples: string;
  version?: string;
  reference?: string;
  quantization?: string;
  int8?: boolean;
  minAgreement?: string;
  evaluation?: string;
  labels?: string;
}

function usage(message: string): ControlPlaneError {
  return new ControlPlaneError('USAGE_INVALID', message);
}

/** Metadata `int8Variant` and `evaluationLabels` from the flags; they need --int8. */
function int8Metadata(opts: PushOptions): Record<string, unknown> {
  if (opts.int8 !== true) {
    if (opts.minAgreement !== undefined || opts.evaluation !== undefined || opts.labels !== undefined) {
      throw usage('--min-agreement, --evaluation and --labels measure the int8 variant: add --int8');
    }
    return {};
  }
  const minAgreement = opts.minAgreement === undefined ? undefined : Number(opts.minAgreement);
  if (minAgreement !== undefined && !(minAgreement >= 0 && minAgreement <= 1)) {
    throw usage(`--min-agreement must be a share between 0 and 1, got ${opts.minAgreement}`);
  }
  if (opts.labels !== undefined && opts.evaluation === undefined) throw usage('--labels label the --evaluation set');
  return {
    int8Variant: minAgreement === undefined ? {} : { minAgreement },
    ...(opts.labels === undefined ? {} : { evaluationLabels: readInputFile(opts.labels, labelsFile).value }),
  };
}

function int8Line(pushed: Pushed): string {
  const int8 = pushed.int8;
  if (int8 === undefined) return '';
  if (int8.refused) return `\nint8 variant refused: ${int8.message}`;
  const q = int8.quality;
  const measured =
    q === undefined
      ? ''
      : `, agreement ${(q.agreement * 100).toFixed(1)}% over ${q.compared} ${q.metric === 'argmax' ? 'rows' : 'elements'} of ${q.output} (min ${(int8.minAgreement * 100).toFixed(1)}%)`;
  return `\nregistered int8 variant ${pushed.line}@${int8.version} (${int8.sizeBytes} bytes${measured})`;
}

function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new ControlPlaneError('USAGE_INVALID', `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
}

export function registerModelCommands(program: Command, ctx: CliContext): void {
  const models = program.command('models').description('model registry');
  models
    .command('push <file>')
    .description('register a new model version from an .onnx file')
    .requiredOption('--line <line>', 'model line')
    .requiredOption('--samples <file>', 'JSON: sample input rows (or { sampleInputs }) for the self-test vectors')
    .option('--version <n>', 'version (default: latest + 1)')
    .option('--reference <file>', 'JSON { rows, featureNames?, categorical? }: drift reference dataset')
    .option('--quantization <q>', 'none | int8')
    .option('--int8', 'also register an int8 variant as the next version, if it agrees with this one')
    .option('--min-agreement <share>', 'with --int8: share of answers the variant must agree on (default 0.95)')
    .option('--evaluation <file>', 'with --int8: .npy or CBOR inputs to measure the variant on, besides the samples')
    .option('--labels <file>', 'with --evaluation: JSON array of the true class of each evaluation input')
    .action(async (file: string, opts: PushOptions) => {
      const bytes = readBytes(file);
      const metadata = {
        sampleInputs: readInputFile(opts.samples, samplesFile).value,
        ...(opts.version === undefined ? {} : { version: Number(opts.version) }),
        ...(opts.quantization === undefined ? {} : { quantization: opts.quantization }),
        ...int8Metadata(opts),
      };
      const form = new FormData();
      form.set('model', new Blob([bytes]), basename(file));
      form.set('metadata', JSON.stringify(metadata));
      if (opts.reference !== undefined) form.set('reference', new TextDecoder().decode(readBytes(opts.reference)));
      if (opts.evaluation !== undefined) {
        form.set('evaluation', new Blob([readBytes(opts.evaluation)]), basename(opts.evaluation));
      }
      const out = ctx.output();
      const path = `/v1/models/${encodeURIComponent(opts.line)}/versions`;
      const created = await ctx
        .client()
        .upload<Pushed>(path, form, (sent, total) => out.progress(`uploading ${basename(file)}`, sent, total));
      out.result(
        created,
        () =>
          `registered ${created.line}@${created.version} (${created.sizeBytes} bytes, ${created.chunkCount} chunks, sha256 ${created.digest.slice(0, 12)}…)${int8Line(created)}`,
      );
      if (created.int8?.refused === true) process.exitCode = EXIT.failed;
    });
  models
    .command('ls [line]')
    .description('model lines, or the versions of one line')
    .action(async (line?: string) => {
      const client = ctx.client();
      if (line === undefined) {
        const lines = await client.get<{ line: string; latestVersion: number; versionCount: number }[]>('/v1/models');
        ctx.output().result(lines, () => table(lines, ['line', 'latestVersion', 'versionCount']));
        return;
      }
      const versions = await client.get<
        {
          version: number;
          sizeBytes: number;
          quantization: string;
          quality?: { agreement: number; comparedWith: number };
          createdAt: number;
          digest: string;
        }[]
      >(`/v1/models/${encodeURIComponent(line)}/versions`);
      ctx.output().result(versions, () =>
        table(
          versions.map(({ quality, ...v }) => ({
            ...v,
            agreement:
              quality === undefined ? null : `${(quality.agreement * 100).toFixed(1)}% with v${quality.comparedWith}`,
            digest: v.digest.slice(0, 12),
            createdAt: time(v.createdAt),
          })),
          ['version', 'sizeBytes', 'quantization', 'agreement', 'createdAt', 'digest'],
        ),
      );
    });
}
