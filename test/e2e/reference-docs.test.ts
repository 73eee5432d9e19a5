/**
 * The generated references in docs/reference/ match the code: the HTTP API a control plane serves, the
 * error codes, the MQTT topics and message schemas, the agent's configuration schema and the binaries'
 * options. A change to any of them without `pnpm docs:reference` fails here, naming the stale file.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderReferences } from '../reference/render-references.js';

const DIR = fileURLToPath(new URL('../../docs/reference/', import.meta.url));

describe('generated references', () => {
  it('docs/reference/ is what the code generates now', async () => {
    const expected = await renderReferences();
    const committed = (await readdir(DIR)).filter((f) => f.endsWith('.md')).sort();
    expect(committed, 'files in docs/reference/ (run `pnpm docs:reference`)').toEqual([...expected.keys()].sort());
    for (const [file, content] of expected) {
      const onDisk = await readFile(join(DIR, file), 'utf8');
      expect(onDisk === content, `docs/reference/${file} is stale: run \`pnpm docs:reference\``).toBe(true);
    }
  });
});
