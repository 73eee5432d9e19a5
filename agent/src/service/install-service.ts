/**
 * `install-service`: installs the device service from an unpacked release artifact (release-artifact.ts),
 * never from a checkout and without a bundler. It first checks `release.cbor` against the pinned root keys
 * (root chain → targets role → signature) and every listed file against its SHA-256, and that the artifact
 * was built for this machine's architecture and Node ABI. Then, into `prefix`: the artifact's files in
 * `<prefix>/<version>-<arch>/`, switched in by renaming the `current` symlink (A/B: the previous install
 * stays until the next one); into `unitDir`: the systemd unit; into `configDir`: `agent.json` with every
 * default (kept if it exists — an operator's file is never overwritten) and `agent.json.md`. Creates
 * `stateDir` (0700). Installing an artifact makes it the running release: a self-updated release from before
 * is left behind (its native modules may not match the new base). Enabling the unit is left to the operator.
 */
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  pinnedRootKeys,
  RELEASE_MANIFEST_FILE,
  type ReleaseManifest,
  verifyReleaseEnvelope,
} from '@edgefleet/protocol';
import type { SupervisionTuning } from '../config.js';
import { DEFAULTS, merge } from '../config.js';
import { loadConfigFile } from '../config-file.js';
import { AgentError } from '../errors.js';
import { BASE_STATE, createReleaseStore } from '../self-update/release-store.js';
import { fsyncDir } from '../storage/atomic-file.js';
import { sha256File } from '../storage/file-sha256.js';
import { CONFIG_DOC, defaultConfig } from './config-template.js';
import { installedUnit, UNIT_NAME } from './systemd-unit.js';

export interface InstallServiceOptions {
  /** The unpacked artifact (the directory holding release.cbor). */
  readonly artifactDir: string;
  readonly prefix: string;
  readonly unitDir: string;
  readonly configDir: string;
  readonly stateDir: string;
  readonly nodePath: string;
  readonly memoryMax: string;
  readonly user?: string | undefined;
  /** Pinned root keys (hex); when absent, those of an existing config file. */
  readonly rootPublicKeys: readonly string[];
  readonly controlPlaneUrl?: string | undefined;
  readonly enrolmentToken?: string | undefined;
  readonly now?: number;
  /** This machine (tests install another architecture's artifact tree only to check the refusal). */
  readonly arch?: string;
  readonly nodeAbi?: string;
}

export interface InstalledService {
  readonly version: string;
  readonly arch: string;
  readonly releaseDir: string;
  readonly stateDir: string;
  readonly unitPath: string;
  readonly configPath: string;
  readonly configWritten: boolean;
  readonly files: number;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

async function verifyArtifact(
  options: InstallServiceOptions,
  rootKeysHex: readonly string[],
): Promise<ReleaseManifest> {
  const envelopePath = join(options.artifactDir, RELEASE_MANIFEST_FILE);
  if (!(await exists(envelopePath))) {
    throw new AgentError(
      'BODY_INVALID',
      `${options.artifactDir} is not an unpacked release artifact (no ${RELEASE_MANIFEST_FILE}); build one with pnpm release:agent`,
    );
  }
  let manifest: ReleaseManifest;
  try {
    const pinned = pinnedRootKeys(rootKeysHex.map((hex) => new Uint8Array(Buffer.from(hex, 'hex'))));
    manifest = verifyReleaseEnvelope(new Uint8Array(await readFile(envelopePath)), pinned, options.now ?? Date.now());
  } catch (cause) {
    const code = (cause as { code?: string }).code ?? 'SIGNATURE_INVALID';
    throw new AgentError('SIGNATURE_INVALID', `release artifact not trusted (${code}): ${(cause as Error).message}`, {
      cause,
    });
  }
  const arch = options.arch ?? process.arch;
  const nodeAbi = options.nodeAbi ?? process.versions.modules;
  if (manifest.arch !== arch || manifest.nodeAbi !== nodeAbi) {
    throw new AgentError(
      'BODY_INVALID',
      `artifact is built for linux/${manifest.arch} with Node ABI ${manifest.nodeAbi}; this machine is linux/${arch} with Node ABI ${nodeAbi}`,
    );
  }
  for (const file of manifest.files) {
    const path = join(options.artifactDir, file.path);
    const digest = await sha256File(path).catch(() => null);
    if (digest !== file.sha256) {
      throw new AgentError(
        'BUNDLE_HASH_MISMATCH',
        `${file.path}: ${digest === null ? 'missing' : 'digest differs'} in the artifact`,
      );
    }
  }
  return manifest;
}

/** Copies the listed files into `<prefix>/<name>` (a fresh dir) and renames the `current` link to it. */
async function installRelease(options: InstallServiceOptions, manifest: ReleaseManifest): Promise<string> {
  const name = `${manifest.version}-${manifest.arch}`;
  const releaseDir = join(options.prefix, name);
  const tmp = join(options.prefix, `.tmp-${name}`);
  await rm(tmp, { recursive: true, force: true });
  for (const file of manifest.files) {
    await mkdir(dirname(join(tmp, file.path)), { recursive: true });
    await copyFile(join(options.artifactDir, file.path), join(tmp, file.path));
  }
  await copyFile(join(options.artifactDir, RELEASE_MANIFEST_FILE), join(tmp, RELEASE_MANIFEST_FILE));
  await chmod(join(tmp, 'select-release.sh'), 0o755);
  await rm(releaseDir, { recursive: true, force: true });
  await rename(tmp, releaseDir);
  const link = join(options.prefix, 'current');
  const linkTmp = join(options.prefix, '.current.tmp');
  await rm(linkTmp, { force: true });
  await symlink(name, linkTmp);
  await rename(linkTmp, link);
  await fsyncDir(options.prefix);
  return releaseDir;
}

/** Keeps the installed release and the one before it (the other half of A/B); removes older ones. */
async function pruneReleases(prefix: string, keep: readonly string[]): Promise<void> {
  const entries = await readdir(prefix, { withFileTypes: true });
  const installs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.'));
  const byAge = await Promise.all(
    installs.map(async (e) => ({ name: e.name, mtime: (await stat(join(prefix, e.name))).mtimeMs })),
  );
  const old = byAge
    .filter((e) => !keep.includes(e.name))
    .sort((a, b) => b.mtime - a.mtime)
    .slice(1);
  for (const e of old) await rm(join(prefix, e.name), { recursive: true, force: true });
}

export async function installService(options: InstallServiceOptions): Promise<InstalledService> {
  const configPath = join(options.configDir, 'agent.json');
  const configWritten = !(await exists(configPath));
  const existing = configWritten ? null : await loadConfigFile(configPath);
  const rootKeys = options.rootPublicKeys.length > 0 ? options.rootPublicKeys : (existing?.rootPublicKeys ?? []);
  if (rootKeys.length === 0) {
    throw new AgentError('BODY_INVALID', `${configPath} does not exist yet: --root-key <hex> is required`);
  }
  // The unit's start step and the agent must agree on the state dir: an existing config's wins.
  const stateDir = existing?.stateDir ?? options.stateDir;
  const manifest = await verifyArtifact(options, rootKeys);
  await mkdir(options.prefix, { recursive: true });
  const releaseDir = await installRelease(options, manifest);
  await pruneReleases(options.prefix, [`${manifest.version}-${manifest.arch}`]);

  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const releases = createReleaseStore({ stateDir });
  await releases.writeState(BASE_STATE);
  await mkdir(options.configDir, { recursive: true });
  if (configWritten) {
    const config = defaultConfig({ ...options, stateDir, rootPublicKeys: rootKeys });
    await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  }
  await writeFile(join(options.configDir, 'agent.json.md'), CONFIG_DOC);
  const supervision = merge<SupervisionTuning>(DEFAULTS.supervision, existing?.supervision);
  await mkdir(options.unitDir, { recursive: true });
  const unitPath = join(options.unitDir, UNIT_NAME);
  await writeFile(unitPath, installedUnit({ ...options, stateDir, supervision }));
  return {
    version: manifest.version,
    arch: manifest.arch,
    releaseDir,
    stateDir,
    unitPath,
    configPath,
    configWritten,
    files: manifest.files.length,
  };
}
