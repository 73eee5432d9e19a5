import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSettings } from '../src/config.js';
import { DEFAULTS, loadConfigFile, parseConfig } from '../src/index.js';
import { tempDirs } from './helpers/temp-dirs.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const KEY = 'ab'.repeat(32);

describe('agent config file', () => {
  it('resolves a relative stateDir against the config file directory', async () => {
    const dir = await temp.make();
    const path = join(dir, 'agent.json');
    await writeFile(path, JSON.stringify({ stateDir: './state', rootPublicKeys: [KEY] }));
    expect((await loadConfigFile(path)).stateDir).toBe(join(dir, 'state'));
  });

  it('names the bad field in the error', () => {
    expect(() => parseConfig({ stateDir: '/s', rootPublicKeys: [KEY], fetch: { windowChunks: 0 } }, '/')).toThrow(
      /fetch\.windowChunks/,
    );
    expect(() => parseConfig({ stateDir: '/s', rootPublicKeys: ['zz'] }, '/')).toThrow(/rootPublicKeys\.0/);
    expect(() => parseConfig({ rootPublicKeys: [KEY] }, '/')).toThrow(/stateDir/);
  });

  it('rejects unknown fields (a typo must not be silently ignored)', () => {
    expect(() => parseConfig({ stateDir: '/s', rootPublicKeys: [KEY], contolPlaneUrl: 'x' }, '/')).toThrow(
      /contolPlaneUrl/,
    );
  });

  it('reports invalid JSON with BODY_INVALID', async () => {
    const path = join(await temp.make(), 'agent.json');
    await writeFile(path, '{ "stateDir": ');
    await expect(loadConfigFile(path)).rejects.toMatchObject({ code: 'BODY_INVALID' });
  });

  it('merges tuning over the frozen DEFAULTS', () => {
    expect(Object.isFrozen(DEFAULTS)).toBe(true);
    const settings = resolveSettings({ stateDir: '/s', rootPublicKeys: [KEY], fetch: { windowChunks: 2 } });
    expect(settings.fetch).toEqual({ ...DEFAULTS.fetch, windowChunks: 2 });
    expect(settings.backoff).toEqual({ initialMs: 500, maxMs: 30_000 });
    expect(settings.telemetry.maxQueueRows).toBe(10_000);
  });
});
