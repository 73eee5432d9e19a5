import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDirs } from '@edgefleet/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSettings } from '../src/config.js';
import { DEFAULTS, loadConfigFile, parseConfig } from '../src/index.js';

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

  it("defaults drift to River's detector parameters and merges nested drift tuning", () => {
    const base = { stateDir: '/s', rootPublicKeys: [KEY] };
    expect(resolveSettings(base).drift).toEqual({
      windowMs: 60_000,
      windowRows: 0,
      signal: 'confidence',
      adwin: { delta: 0.002 },
      pageHinkley: { delta: 0.005, lambda: 50, alpha: 0.9999, minInstances: 30 },
    });
    const file = parseConfig({ ...base, drift: { signal: 'error', pageHinkley: { lambda: 25 } } }, '/');
    const drift = resolveSettings({ ...base, drift: file.drift }).drift;
    expect(drift.signal).toBe('error');
    expect(drift.pageHinkley).toEqual({ ...DEFAULTS.drift.pageHinkley, lambda: 25 });
    expect(() => parseConfig({ ...base, drift: { adwin: { delta: 2 } } }, '/')).toThrow(/drift\.adwin\.delta/);
    expect(() => parseConfig({ ...base, drift: { signal: 'latency' } }, '/')).toThrow(/drift\.signal/);
  });

  it('takes a hardware profile of at most 64 characters and shadow tuning over the defaults', () => {
    const base = { stateDir: '/s', rootPublicKeys: [KEY] };
    const file = parseConfig({ ...base, hardwareProfile: 'pi4-2gb', shadow: { maxQueuedPerLine: 2 } }, '/');
    expect(file.hardwareProfile).toBe('pi4-2gb');
    expect(resolveSettings({ ...base, shadow: file.shadow }).shadow).toEqual({ windowMs: 60_000, maxQueuedPerLine: 2 });
    expect(() => parseConfig({ ...base, hardwareProfile: 'x'.repeat(65) }, '/')).toThrow(/hardwareProfile/);
    expect(() => parseConfig({ ...base, shadow: { windowMs: 0 } }, '/')).toThrow(/shadow\.windowMs/);
  });
});
