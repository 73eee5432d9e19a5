/**
 * `edgefleet models push <file.onnx> --line <l> [--version n] --samples <file.json> [--reference <file.json>]`
 * uploads a model with a progress bar (the server computes self-test vectors from the sample inputs);
 * `edgefleet models ls [line]` lists lines, or one line's versions.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { ControlPlaneError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { readInputFile } from '../input-file.js';
import { table, time } from '../output.js';

/** A bare array of input rows, or an object carrying `sampleInputs` (the demo's iris-meta.json). */
const samplesFile = z.union([
  z.array(z.array(z.number())),
  z.object({ sampleInputs: z.array(z.array(z.number())) }).transform((m) => m.sampleInputs),
]);

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
    .action(
      async (
        file: string,
        opts: { line: string; samples: string; version?: string; reference?: string; quantization?: string },
      ) => {
        const bytes = readBytes(file);
        const metadata = {
          sampleInputs: readInputFile(opts.samples, samplesFile).value,
          ...(opts.version === undefined ? {} : { version: Number(opts.version) }),
          ...(opts.quantization === undefined ? {} : { quantization: opts.quantization }),
        };
        const form = new FormData();
        form.set('model', new Blob([bytes]), basename(file));
        form.set('metadata', JSON.stringify(metadata));
        if (opts.reference !== undefined) form.set('reference', new TextDecoder().decode(readBytes(opts.reference)));
        const out = ctx.output();
        const path = `/v1/models/${encodeURIComponent(opts.line)}/versions`;
        const created = await ctx
          .client()
          .upload<{ line: string; version: number; digest: string; sizeBytes: number; chunkCount: number }>(
            path,
            form,
            (sent, total) => out.progress(`uploading ${basename(file)}`, sent, total),
          );
        out.result(
          created,
          () =>
            `registered ${created.line}@${created.version} (${created.sizeBytes} bytes, ${created.chunkCount} chunks, sha256 ${created.digest.slice(0, 12)}…)`,
        );
      },
    );
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
        { version: number; sizeBytes: number; quantization: string; createdAt: number; digest: string }[]
      >(`/v1/models/${encodeURIComponent(line)}/versions`);
      ctx.output().result(versions, () =>
        table(
          versions.map((v) => ({ ...v, digest: v.digest.slice(0, 12), createdAt: time(v.createdAt) })),
          ['version', 'sizeBytes', 'quantization', 'createdAt', 'digest'],
        ),
      );
    });
}
