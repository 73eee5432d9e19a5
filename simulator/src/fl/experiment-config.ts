/**
 * A federated experiment file (`edgefleet-sim fl experiment.yaml`, YAML or JSON): which data set, how many
 * simulated clients and how the training set is spread over them (IID, or McMahan et al. 2017's pathological
 * non-IID 2-shards-per-client), and the federated job to run — the same body as `POST /v1/fl/jobs`, minus
 * what the simulator fills in (line, selector, evaluation set). Errors name the field at fault.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const experimentSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'name must be 1-41 chars of [a-z0-9-]'),
  dataset: z.enum(['mnist', 'iris']),
  clients: z.int().min(1).max(1000),
  partition: z.enum(['iid', 'shards']).default('iid'),
  shardsPerClient: z.int().min(1).max(100).default(2),
  /** Use only the first `trainRows` training rows (quick runs); default all. */
  trainRows: z.int().min(1).optional(),
  seed: z.int().nonnegative().default(1),
  job: z.record(z.string(), z.unknown()),
  /** Where the JSON result goes (default bench-results/<name>.json). */
  out: z.string().min(1).optional(),
});

export type Experiment = z.output<typeof experimentSchema>;

export class ExperimentFileError extends Error {}

export async function loadExperiment(path: string): Promise<Experiment> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ExperimentFileError(`cannot read ${path}: ${(cause as Error).message}`);
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new ExperimentFileError(
      `${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(cause as Error).message}`,
    );
  }
  const parsed = experimentSchema.safeParse(value);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ExperimentFileError(`${path} is not a valid experiment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
