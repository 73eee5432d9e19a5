/**
 * Finds the files a scenario's models name: `file` and `samples` paths relative to the scenario file's
 * directory, and `file: { package, path }` inside an installed npm package, looked up on Node's resolution
 * paths from the scenario's directory, then from the working directory (the package need not export its
 * files, so the package directory is found rather than `require.resolve`d). The result names every file by
 * its absolute path, so the scenario can be run from anywhere; a missing file is reported with its field.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { SimulatorError } from '../errors.js';
import type { FileModel, PackageFile } from './model-schema.js';
import type { Scenario } from './scenario-schema.js';

export interface ResolveFrom {
  /** Relative paths are relative to this directory (the scenario file's). */
  readonly baseDir: string;
  /** Packages are looked up from `baseDir`, then from here (default: the working directory). */
  readonly cwd?: string;
}

/** Where `ref` is: its path, or the package directory found without that file, or neither. */
function packageFile(ref: PackageFile, searched: readonly string[]): { path?: string; dir?: string } {
  let dir: string | undefined;
  for (const from of searched) {
    const paths = createRequire(join(from, 'scenario.js')).resolve.paths(ref.package) ?? [];
    for (const base of paths) {
      const path = join(base, ref.package, ref.path);
      if (existsSync(path)) return { path };
      if (dir === undefined && existsSync(join(base, ref.package, 'package.json'))) dir = join(base, ref.package);
    }
  }
  return dir === undefined ? {} : { dir };
}

function fileOf(ref: FileModel['file'], from: ResolveFrom): { path: string | undefined; problem: string } {
  if (typeof ref === 'string') {
    const path = isAbsolute(ref) ? ref : resolve(from.baseDir, ref);
    return { path: existsSync(path) ? path : undefined, problem: `no such file ${path}` };
  }
  const searched = [...new Set([resolve(from.baseDir), resolve(from.cwd ?? process.cwd())])];
  const found = packageFile(ref, searched);
  const problem =
    found.dir === undefined
      ? `package ${ref.package} is not installed where ${searched.join(' or ')} resolve packages (npm install ${ref.package} beside the scenario, or give file: <path to the .onnx>)`
      : `package ${ref.package} (${found.dir}) has no ${ref.path}`;
  return { path: found.path, problem };
}

/** The scenario with its model files and sample files as absolute paths; SCENARIO_INVALID naming each missing one. */
export function resolveModelFiles(scenario: Scenario, from: ResolveFrom, source = 'scenario'): Scenario {
  const problems: string[] = [];
  const models = { ...scenario.models };
  for (const role of ['champion', 'candidate'] as const) {
    const model = models[role];
    if (model.kind !== 'file') continue;
    const file = fileOf(model.file, from);
    if (file.path === undefined) problems.push(`models.${role}.file: ${file.problem}`);
    let samples = model.samples;
    if (samples !== undefined) {
      samples = isAbsolute(samples) ? samples : resolve(from.baseDir, samples);
      if (!existsSync(samples)) problems.push(`models.${role}.samples: no such file ${samples}`);
    }
    models[role] = {
      ...model,
      file: file.path ?? model.file,
      ...(samples === undefined ? {} : { samples }),
    };
  }
  if (problems.length > 0) {
    throw new SimulatorError(
      'SCENARIO_INVALID',
      `${source} is not a valid scenario:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
  }
  return { ...scenario, models };
}
