/**
 * Reads a scenario file (YAML, or JSON by extension) and validates it; every problem is reported as
 * `field.path: message`, so the user sees which line of the file to fix. The model files it names are found
 * relative to the file (./model-files.ts).
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SimulatorError } from '../errors.js';
import { resolveModelFiles } from './model-files.js';
import { type Scenario, scenarioSchema } from './scenario-schema.js';

export function parseScenario(value: unknown, source = 'scenario'): Scenario {
  const parsed = scenarioSchema.safeParse(value);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SimulatorError('SCENARIO_INVALID', `${source} is not a valid scenario:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** `cwd`: where npm packages named by `file: { package, path }` are also looked up (default: the working directory). */
export async function loadScenario(path: string, options: { cwd?: string } = {}): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new SimulatorError('SCENARIO_UNREADABLE', `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    const format = path.endsWith('.json') ? 'JSON' : 'YAML';
    throw new SimulatorError('SCENARIO_INVALID', `${path} is not valid ${format}: ${(cause as Error).message}`, {
      cause,
    });
  }
  return resolveModelFiles(parseScenario(value, path), { baseDir: dirname(path), ...options }, path);
}
