import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fixture, startFixture } from './helpers/control-plane-fixture.js';

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('data directory permissions', () => {
  it('keeps the data directory 0700 and its files 0600, even when the directory existed with looser modes', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'edgefleet-modes-')), 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    f = await startFixture({ dataDir });
    expect(modeOf(dataDir)).toBe(0o700);
    const files = readdirSync(dataDir, { withFileTypes: true }).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect([file.name, modeOf(join(dataDir, file.name))]).toEqual([file.name, 0o600]);
  });
});
