/**
 * The device artifact, `edgefleet-agent-<version>-linux-<arch>.tar.gz`, built by `pnpm release:agent`:
 * - `agent.mjs`: the bundled agent (agent-build.ts);
 * - `node_modules/`: the native modules for that architecture only — better-sqlite3's compiled binding and
 *   its two tiny loaders, onnxruntime-node's JavaScript and its CPU library for linux/<arch> (not the other
 *   platforms' binaries), onnxruntime-common;
 * - `select-release.sh` (the unit's start step) and `edgefleet-agent.service` (the unit for the default
 *   paths; install-service writes the one for the paths it is given);
 * - `SHA256SUMS` and `release.cbor`: every file with its digest, signed by the targets role with the root
 *   documents leading to it — the same root of trust as model bundles.
 */
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { cp, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  encodeCbor,
  RELEASE_MANIFEST_FILE,
  type ReleaseManifest,
  type SignedDocument,
  type SigningKey,
  signDocument,
} from '@edgefleet/protocol';
import { sha256File } from '../storage/file-sha256.js';
import { buildBundle } from './agent-build.js';
import { INSTALL_DEFAULTS, installedUnit } from './systemd-unit.js';

export const START_STEP = 'select-release.sh';
const START_STEP_SOURCE = fileURLToPath(new URL(`../../service/${START_STEP}`, import.meta.url));

/** Which files of each native package a device needs (`{arch}`: the target architecture). */
const NATIVE_FILES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'better-sqlite3': ['package.json', 'LICENSE', 'lib', 'build/Release/better_sqlite3.node'],
  bindings: ['package.json', 'LICENSE.md', 'bindings.js'],
  'file-uri-to-path': ['package.json', 'LICENSE', 'index.js'],
  'onnxruntime-node': ['package.json', 'dist', 'bin/napi-v6/linux/{arch}'],
  'onnxruntime-common': ['package.json', 'dist'],
});

export interface ArtifactOptions {
  readonly outDir: string;
  /** The agent package version (the artifact's name and manifest). */
  readonly version: string;
  /** Target architecture (Node's names: x64, arm64); default this machine's. */
  readonly arch?: string;
  /** A directory whose node_modules hold the native modules built for `arch` (default: this install's). */
  readonly nativeFrom?: string;
  /** Node ABI of the target's Node (default this Node's). */
  readonly nodeAbi?: string;
  readonly signers: readonly SigningKey[];
  readonly roots: readonly SignedDocument[];
  readonly now?: number;
}

export interface Artifact {
  readonly tarball: string;
  readonly bytes: number;
  readonly sha256: string;
  /** The unpacked tree (what the tarball holds). */
  readonly dir: string;
  readonly manifest: ReleaseManifest;
}

/** A package's directory as seen from `from`: up from its resolved entry to the `node_modules/<name>` dir. */
function packageDir(name: string, from: string): string {
  const main = realpathSync(createRequire(join(from, 'noop.js')).resolve(name));
  const marker = `${sep}node_modules${sep}${name}${sep}`;
  const at = main.lastIndexOf(marker);
  if (at < 0) throw new Error(`${name} resolves outside a node_modules directory: ${main}`);
  return main.slice(0, at + marker.length - 1);
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'));
  }
  return out.sort();
}

async function copyNative(dest: string, arch: string, nativeFrom: string): Promise<void> {
  const dirs: Record<string, string> = {};
  dirs['better-sqlite3'] = packageDir('better-sqlite3', nativeFrom);
  dirs.bindings = packageDir('bindings', dirs['better-sqlite3']);
  dirs['file-uri-to-path'] = packageDir('file-uri-to-path', dirs.bindings);
  dirs['onnxruntime-node'] = packageDir('onnxruntime-node', nativeFrom);
  dirs['onnxruntime-common'] = packageDir('onnxruntime-common', dirs['onnxruntime-node']);
  for (const [name, files] of Object.entries(NATIVE_FILES)) {
    for (const file of files) {
      const path = file.replace('{arch}', arch);
      const from = join(dirs[name] as string, path);
      const exists = await stat(from).then(
        () => true,
        () => false,
      );
      if (!exists) {
        if (path.startsWith('LICENSE')) continue;
        throw new Error(`${name}: ${path} is missing in ${dirs[name]} (native modules for linux/${arch}?)`);
      }
      await cp(from, join(dest, 'node_modules', name, path), { recursive: true, dereference: true });
    }
  }
}

export interface AssembledArtifact {
  readonly name: string;
  readonly dir: string;
  readonly version: string;
  readonly arch: string;
  readonly nodeAbi: string;
}

/** The unsigned tree: bundle, native modules, start step, unit, SHA256SUMS. */
export async function assembleArtifact(
  options: Omit<ArtifactOptions, 'signers' | 'roots' | 'now'>,
): Promise<AssembledArtifact> {
  const arch = options.arch ?? process.arch;
  const name = `edgefleet-agent-${options.version}-linux-${arch}`;
  const dir = join(options.outDir, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await buildBundle({ outFile: join(dir, 'agent.mjs') });
  await copyNative(dir, arch, options.nativeFrom ?? dirname(fileURLToPath(import.meta.url)));
  await cp(START_STEP_SOURCE, join(dir, START_STEP));
  await writeFile(join(dir, 'edgefleet-agent.service'), installedUnit(INSTALL_DEFAULTS));
  const sums = [];
  for (const path of await listFiles(dir)) sums.push(`${await sha256File(join(dir, path))}  ${path}\n`);
  await writeFile(join(dir, 'SHA256SUMS'), sums.join(''));
  return { name, dir, version: options.version, arch, nodeAbi: options.nodeAbi ?? process.versions.modules };
}

/** Writes `release.cbor`: every other file of the tree with its digest, signed by `signers`. */
export async function signArtifact(
  artifact: AssembledArtifact,
  signing: { signers: readonly SigningKey[]; roots: readonly SignedDocument[]; now?: number },
): Promise<ReleaseManifest> {
  const files = [];
  for (const path of await listFiles(artifact.dir)) {
    if (path === RELEASE_MANIFEST_FILE) continue;
    const full = join(artifact.dir, path);
    files.push({ path, sha256: await sha256File(full), bytes: (await stat(full)).size });
  }
  const manifest: ReleaseManifest = {
    _type: 'agent-release',
    version: artifact.version,
    platform: 'linux',
    arch: artifact.arch,
    nodeAbi: artifact.nodeAbi,
    createdAt: signing.now ?? Date.now(),
    files,
  };
  const envelope = { manifest: signDocument(manifest, signing.signers), roots: [...signing.roots] };
  await writeFile(join(artifact.dir, RELEASE_MANIFEST_FILE), encodeCbor(envelope));
  return manifest;
}

/** Packs the tree into `<outDir>/<name>.tar.gz`, reproducibly (sorted names, fixed owner and mtime). */
export async function packArtifact(artifact: AssembledArtifact, mtimeMs: number): Promise<string> {
  const outDir = dirname(artifact.dir);
  const tarball = join(outDir, `${artifact.name}.tar.gz`);
  await promisify(execFile)('tar', [
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    `--mtime=@${Math.floor(mtimeMs / 1000)}`,
    '-czf',
    tarball,
    '-C',
    outDir,
    artifact.name,
  ]);
  return tarball;
}

export async function buildArtifact(options: ArtifactOptions): Promise<Artifact> {
  const assembled = await assembleArtifact(options);
  const manifest = await signArtifact(assembled, options);
  const tarball = await packArtifact(assembled, manifest.createdAt);
  return {
    tarball,
    bytes: (await stat(tarball)).size,
    sha256: await sha256File(tarball),
    dir: assembled.dir,
    manifest,
  };
}
