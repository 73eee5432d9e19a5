/**
 * Builds the install path of one agent: the fetcher on the session's fetch link, the resource gate on the
 * device's SystemStats and the installer over slots, runtime, inference service, shadows, trust
 * state and agent releases. Kept apart from agent.ts so the composition root stays readable.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { ResolvedSettings } from './config.js';
import { createFetcher, type Fetcher, type FetchLink } from './fetch/fetcher.js';
import { createInstaller, type Installer, type InstallerOptions } from './install/installer.js';
import { createResourceGate } from './install/resource-gate.js';
import type { Durability } from './storage/atomic-file.js';
import type { SystemStats } from './system/system-stats.js';

export function createInstallPipeline(options: {
  stateDir: string;
  durability: Durability;
  clock: Clock;
  logger: Logger;
  settings: ResolvedSettings;
  link: FetchLink;
  stats: SystemStats;
  parts: Pick<InstallerOptions, 'slots' | 'runtime' | 'service' | 'shadows' | 'trust' | 'releases'>;
  onRestart: InstallerOptions['onRestart'];
  onEvent: InstallerOptions['onEvent'];
  onProgress: InstallerOptions['onProgress'];
}): { fetcher: Fetcher; installer: Installer } {
  const { clock, logger, settings } = options;
  const downloadsDir = join(options.stateDir, 'downloads');
  const fetcher = createFetcher({
    link: options.link,
    clock,
    logger,
    downloadsDir,
    durability: options.durability,
    settings: settings.fetch,
  });
  const installer = createInstaller({
    ...options.parts,
    fetcher,
    logger,
    removePart: (path) => rm(path, { force: true }),
    resources: createResourceGate({
      stats: options.stats,
      stateDir: options.stateDir,
      downloadsDir,
      clock,
      settings: settings.resources,
    }),
    onRestart: options.onRestart,
    onEvent: options.onEvent,
    onProgress: options.onProgress,
  });
  return { fetcher, installer };
}
