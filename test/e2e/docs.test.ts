/**
 * The documentation is tested: every relative link and anchor in the README and docs/ resolves, and the
 * README's by-hand walk-through (the block marked `<!-- doc-test -->`) runs as pasted: a control plane and an
 * agent as real processes, a model pushed, a rollout watched to its end, a prediction served. Both checks are
 * shown to fail on a deliberately broken fixture.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { brokenLinks } from '../src/doc-check/markdown-links.js';
import { docTestBlocks, runDocBlock } from '../src/doc-check/shell-blocks.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function markdownFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.md')).map((e) => join(e.parentPath, e.name));
}

describe('documentation', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgefleet-docs-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

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

  it('the README walk-through runs as pasted and ends with a prediction from the rolled-out model', async () => {
    const blocks = docTestBlocks(await readFile(join(ROOT, 'README.md'), 'utf8'));
    expect(blocks).toHaveLength(1);
    const run = await runDocBlock(blocks[0] as string, { repoRoot: ROOT, dir: await tempDir(), timeoutMs: 150_000 });
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/"line":"iris","version":1,"outputs":\[\[/);
  }, 180_000);

  it('a walk-through whose command fails makes the check fail (broken fixture)', async () => {
    const [block] = docTestBlocks(
      '<!-- doc-test -->\n```sh\nnode control-plane/bin/edgefleet.js models push .data/missing.onnx --line iris\necho unreachable\n```\n',
    );
    const run = await runDocBlock(block as string, { repoRoot: ROOT, dir: await tempDir(), timeoutMs: 30_000 });
    expect(run.code).not.toBe(0);
    expect(run.output).not.toMatch(/unreachable/);
  });
});
