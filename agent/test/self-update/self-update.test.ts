/**
 * The agent's half of self-update under the service: a release on trial confirms itself when the
 * connection comes up (state confirmed, install-completed reported once); one that stays offline past
 * healthTimeoutMs reverts itself and asks to be restarted; the agent restored after a revert marks the
 * release failed and reports AGENT_UNHEALTHY once, across restarts; a confirmed release's start counter is
 * reset after the stable period. Real files, fake timers.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDirs } from '@edgefleet/test-kit';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InstallEvent } from '../../src/install/installer.js';
import { createReleaseStore } from '../../src/self-update/release-store.js';
import { createSelfUpdate } from '../../src/self-update/self-update.js';
import { sha256File } from '../../src/storage/file-sha256.js';
import type { TrustState } from '../../src/trust/trust-state.js';

const temp = tempDirs();
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(async () => {
  vi.useRealTimers();
  await temp.cleanup();
});

const settings = { healthTimeoutMs: 10_000, stableAfterMs: 60_000 };

async function device() {
  const stateDir = await temp.make();
  const store = createReleaseStore({ stateDir });
  const bundle = join(stateDir, 'bundle.mjs');
  await writeFile(bundle, '// agent v7\n');
  const ref = await store.write({
    version: 7,
    digest: await sha256File(bundle),
    bundlePath: bundle,
    manifestCbor: new Uint8Array([0xa0]),
    nativeModules: {},
  });
  await store.stage(ref);
  const events: InstallEvent[] = [];
  const failed: Array<{ line: string; version: number; digest: string }> = [];
  const trust = {
    markFailed: async (line: string, target: { version: number; digest: string }) => {
      failed.push({ line, ...target });
    },
  } as unknown as TrustState;
  const reverted = vi.fn();
  const confirmed = vi.fn();
  const start = () =>
    createSelfUpdate({
      stateDir,
      trust,
      logger: pino({ level: 'silent' }),
      onEvent: (e) => events.push(e),
      supervised: true,
      settings,
      onConfirmed: confirmed,
      onReverted: reverted,
    });
  return { store, ref, events, failed, reverted, confirmed, start };
}

describe('self-update under the service', () => {
  it('confirms a release on trial when it comes online and reports it once', async () => {
    const d = await device();
    const self = d.start();
    await self.settle();
    self.connectionChanged('connecting');
    self.connectionChanged('online');
    await vi.waitFor(() => expect(d.confirmed).toHaveBeenCalledOnce());
    expect(await d.store.readState()).toMatchObject({
      current: d.ref.dir,
      phase: 'confirmed',
      outcome: { result: 'confirmed' },
    });
    expect(d.events).toEqual([{ kind: 'install-completed', line: 'agent', version: 7 }]);
    expect(self.running()).toMatchObject({ version: 7, digest: d.ref.digest });
    await vi.advanceTimersByTimeAsync(settings.healthTimeoutMs * 2);
    expect(d.reverted).not.toHaveBeenCalled();
    // The next start of the same release reports nothing again.
    await d.start().settle();
    expect(d.events).toHaveLength(1);
  });

  it('reverts a release that stays offline past the deadline, and the restored agent reports it once', async () => {
    const d = await device();
    const self = d.start();
    await self.settle();
    self.connectionChanged('backing-off');
    await vi.advanceTimersByTimeAsync(settings.healthTimeoutMs - 1);
    expect(d.reverted).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(d.reverted).toHaveBeenCalledOnce());
    expect(await d.store.readState()).toMatchObject({
      current: 'base',
      phase: 'confirmed',
      outcome: { result: 'reverted', release: d.ref.dir, reason: 'health-timeout' },
    });
    await self.close();
    for (let i = 0; i < 2; i++) await d.start().settle();
    expect(d.failed).toEqual([{ line: 'agent', version: 7, digest: d.ref.digest }]);
    expect(d.events).toHaveLength(1);
    expect(d.events[0]).toMatchObject({ kind: 'install-failed', version: 7 });
    expect(String((d.events[0] as { error?: Error }).error?.message)).toContain('no healthy report within 10000 ms');
  });

  it('resets the start counter of a confirmed release after the stable period, and on a clean stop', async () => {
    const d = await device();
    await d.store.writeState({ ...(await d.store.readState()), phase: 'confirmed', starts: 3 });
    await d.start().settle();
    await vi.advanceTimersByTimeAsync(settings.stableAfterMs);
    await vi.waitFor(async () => expect((await d.store.readState()).starts).toBe(0));
    await d.store.writeState({ ...(await d.store.readState()), starts: 2 });
    const self = d.start();
    await self.settle();
    await self.close();
    expect((await d.store.readState()).starts).toBe(0);
  });

  it('refuses self-update outside the service', async () => {
    const d = await device();
    const self = createSelfUpdate({
      stateDir: join(await temp.make(), 'x'),
      trust: {} as TrustState,
      logger: pino({ level: 'silent' }),
      onEvent: () => {},
      supervised: false,
      settings,
      onConfirmed: d.confirmed,
      onReverted: d.reverted,
    });
    await self.settle();
    await expect(self.ready()).rejects.toMatchObject({ code: 'RUNTIME_UNAVAILABLE' });
  });
});
