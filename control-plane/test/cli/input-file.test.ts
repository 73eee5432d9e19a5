import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readInputFile } from '../../src/cli/input-file.js';
import { planSchema } from '../../src/rollouts/plan.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgefleet-plan-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function planFile(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function failure(file: string): { message: string; code: string } {
  try {
    readInputFile(file, planSchema);
  } catch (error) {
    return error as { message: string; code: string };
  }
  throw new Error('expected the file to be refused');
}

const HEAD = ['line: iris', 'version: 2', 'selector:', '  group: lab'];

describe('plan files (YAML or JSON)', () => {
  it('returns the document as written and the parsed plan with defaults', () => {
    const { raw, value } = readInputFile(planFile('ok.yaml', [...HEAD, 'waves:', '  - percent: 100']), planSchema);
    expect(raw).toEqual({ line: 'iris', version: 2, selector: { group: 'lab' }, waves: [{ percent: 100 }] });
    expect(value.concurrency).toBe(50);
  });

  it('reads JSON too, with the line of the field at fault', () => {
    const file = planFile('plan.json', [
      '{',
      '  "line": "iris",',
      '  "version": 2,',
      '  "selector": { "group": "lab" },',
      '  "waves": [{ "percent": 100 }],',
      '  "concurrency": 0',
      '}',
    ]);
    expect(failure(file).message).toBe(`${file}:6:18: concurrency: Too small: expected number to be >=1`);
  });

  it('names an unknown key at its own line', () => {
    const file = planFile('typo.yaml', [...HEAD, 'waves:', '  - percent: 100', 'concurency: 3']);
    expect(failure(file).message).toContain(`${file}:7:13: concurency: Unrecognized key: "concurency"`);
  });

  it('reports the closest branch of a union instead of "Invalid input"', () => {
    const file = planFile('mode.yaml', [...HEAD, 'waves:', '  - percent: 100', '    mode: fast']);
    const { message, code } = failure(file);
    expect(code).toBe('USAGE_INVALID');
    expect(message).toContain(`${file}:7:11: waves.0.mode: Invalid option`);
    expect(message).not.toContain('Invalid input');
  });

  it('points a missing field at the object that lacks it', () => {
    const file = planFile('missing.yaml', HEAD);
    expect(failure(file).message).toContain(`${file}:1:1: waves:`);
  });

  it('reports a YAML syntax error with its position', () => {
    const file = planFile('broken.yaml', ['line: [']);
    expect(failure(file).message).toMatch(new RegExp(`^${file.replace(/[.\\]/g, '\\$&')}:2:1: `));
  });

  it('refuses a file that cannot be read with USAGE_INVALID', () => {
    expect(failure(join(dir, 'nope.yaml')).code).toBe('USAGE_INVALID');
  });
});
