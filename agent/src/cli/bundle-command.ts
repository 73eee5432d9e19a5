/**
 * `edgefleet-agent bundle --out <agent.mjs> [--no-minify]`: builds an agent release (one JavaScript file) to
 * register with `POST /v1/agent-releases` (part `bundle`) and roll out on the line `agent`. Prints
 * `{ outFile, sizeBytes, sha256 }` as JSON. Exit 0, or 2 on bad usage.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBundle } from '../service/agent-build.js';
import { type CommandIo, helpRequested } from './command-io.js';

const USAGE = 'usage: edgefleet-agent bundle --out <agent.mjs> [--no-minify]\n';

export async function bundleCommand(args: readonly string[], io: CommandIo): Promise<number> {
  if (helpRequested(args, io, USAGE)) return 0;
  let values: { out?: string | undefined; 'no-minify'?: boolean | undefined };
  try {
    values = parseArgs({
      args: [...args],
      options: { out: { type: 'string' }, 'no-minify': { type: 'boolean' } },
    }).values;
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.out === undefined) {
    io.err(`--out is required\n${USAGE}`);
    return 2;
  }
  const built = await buildBundle({
    entry: 'agent',
    outFile: resolve(values.out),
    minify: values['no-minify'] !== true,
  });
  io.out(`${JSON.stringify(built)}\n`);
  return 0;
}
