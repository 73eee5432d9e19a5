/**
 * The documentation is tested: every relative link and anchor in the README and docs/ resolves, and the
 * by-hand walk-throughs (blocks marked `<!-- doc-test -->`) run as pasted: the README's (a control plane and
 * an agent as real processes, a model pushed, a rollout watched to its end, a prediction served) and the
 * firmware bridge's (a gateway and an emulated MCU on a socat pty pair, an mcu-int8 model rolled out to the
 * MCU). Both checks are shown to fail on a deliberately broken fixture.
 */
import { readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDirs } from '@edgefleet/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { brokenLinks } from '../src/doc-check/markdown-links.js';
import { docTestBlocks, runDocBlock } from '../src/doc-check/shell-blocks.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every block marked `<!-- doc-test -->`: the README's walk-through and the firmware bridge's. */
const WALK_THROUGHS = ['README.md', 'docs/firmware-bridge.md'].flatMap((name) =>
  docTestBlocks(readFileSync(join(ROOT, name), 'utf8')).map((block) => ({ name, block })),
);

async function markdownFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.md')).map((e) => join(e.parentPath, e.name));
}

describe('documentation', () => {
  const temp = tempDirs();
  const tempDir = () => temp.make();
  afterEach(() => temp.cleanup());

  it('every relative link and anchor in README.md and docs/ resolves', async () => {
    const files = [join(ROOT, 'README.md'), join(ROOT, 'CHANGELOG.md'), ...(await markdownFiles(join(ROOT, 'docs')))];
    expect(files.length).toBeGreaterThan(20);
    expect(brokenLinks(files)).toEqual([]);
  });

  it('reports a missing file and a missing heading (broken fixture)', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'other.md'), '# Other page\n\n## A section\n');
    const page = join(dir, 'page.md');
    await writeFile(
      page,
      [
        '# Page',
        '[fine](other.md#a-section) [fine](#page) `[code](nowhere.md)`',
        '[gone](missing.md) [no heading](other.md#no-such-section)',
        '```sh',
        'echo "[in a code block](nowhere.md)"',
        '```',
      ].join('\n'),
    );
    expect(brokenLinks([page])).toEqual([
      `${page}: missing.md (no such file)`,
      `${page}: other.md#no-such-section (no such heading)`,
    ]);
  });

  it.each(WALK_THROUGHS)(
    '$name runs as pasted',
    async ({ name, block }) => {
      const run = await runDocBlock(block, { repoRoot: ROOT, dir: await tempDir(), timeoutMs: 150_000 });
      expect(run.code, run.output).toBe(0);
      if (name === 'README.md') expect(run.output).toMatch(/"line":"iris","version":1,"outputs":\[\[/);
      else expect(run.output).toMatch(/iris-mcu@1\s+completed/);
    },
    180_000,
  );

  it('a walk-through whose command fails makes the check fail (broken fixture)', async () => {
    const [block] = docTestBlocks(
      '<!-- doc-test -->\n```sh\nnode control-plane/bin/edgefleet.js models push .data/missing.onnx --line iris\necho unreachable\n```\n',
    );
    const run = await runDocBlock(block as string, { repoRoot: ROOT, dir: await tempDir(), timeoutMs: 30_000 });
    expect(run.code).not.toBe(0);
    expect(run.output).not.toMatch(/unreachable/);
  });
});
