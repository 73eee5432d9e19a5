/**
 * Agent releases on disk, shared by the agent and the service's start step (`select-release.sh`, systemd's
 * ExecStartPre). Layout under `${stateDir}/releases/`:
 * - `v<version>-<digest12>/{agent.mjs, SHA256SUMS, manifest.cbor, node_modules/<native> → the base install's}`,
 *   built in a `.tmp-*` dir and renamed into place like model slots;
 * - `state`: which release is current (`base` = the one the service was installed from), the last known good
 *   one, the phase (`trial | confirmed`), start counters and the last outcome. Plain `key=value` lines,
 *   because a shell script reads and writes it too; never both at once (the script runs before the agent
 *   starts). Written by tmp → fsync → rename → fsync(dir), so a power cut leaves a whole file;
 * - `active`: a symlink to the release the next start runs, set by the start step (systemd's ExecStart
 *   runs `releases/active/agent.mjs`).
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir, fsyncFile, writeFileAtomic } from '../storage/atomic-file.js';
import { sha256File } from '../storage/file-sha256.js';

export const RELEASE_ENTRY = 'agent.mjs';
const MANIFEST_FILE = 'manifest.cbor';
const SUMS_FILE = 'SHA256SUMS';
/** The release the service was installed from: never reverted, what every revert ends at. */
export const BASE_RELEASE = 'base';

const RELEASE_DIR = /^v(\d+)-[0-9a-f]{12}$/;

export interface ReleaseRef {
  readonly version: number;
  readonly digest: string;
  readonly dir: string;
}

/** Why a release was reverted: by the start step (`damaged`, `trial-failed`, `crash-loop`) or by the agent. */
export type RevertReason = 'damaged' | 'trial-failed' | 'crash-loop' | 'health-timeout';

export interface ReleaseOutcome {
  readonly result: 'confirmed' | 'reverted';
  /** The release directory the outcome is about. */
  readonly release: string;
  readonly reason: RevertReason | null;
  /** Seconds since the epoch (the shell's `date +%s`). */
  readonly at: number;
}

export interface ReleaseState {
  /** A release directory name, or `base`. */
  readonly current: string;
  /** The last known good release to revert to (null: base). */
  readonly previous: string | null;
  readonly phase: 'trial' | 'confirmed';
  /** Starts of the current release on trial, counted by the start step. */
  readonly attempts: number;
  /** Starts of the confirmed release since it last stayed up, counted by the start step. */
  readonly starts: number;
  readonly outcome: ReleaseOutcome | null;
}

export const BASE_STATE: ReleaseState = Object.freeze({
  current: BASE_RELEASE,
  previous: null,
  phase: 'confirmed',
  attempts: 0,
  starts: 0,
  outcome: null,
});

const TOKEN = /^[A-Za-z0-9._-]*$/;
const count = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value) ? Number(value) : 0);
const releaseName = (value: string | undefined) =>
  value !== undefined && (value === BASE_RELEASE || RELEASE_DIR.test(value)) ? value : null;
const REASONS = new Set<string>(['damaged', 'trial-failed', 'crash-loop', 'health-timeout']);

/** Reads the `key=value` lines the way select-release.sh does: unknown keys and non-token values are ignored. */
export function parseReleaseState(text: string): ReleaseState {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    const value = line.slice(at + 1);
    if (TOKEN.test(value)) fields.set(line.slice(0, at), value);
  }
  const outcomeRelease = releaseName(fields.get('outcome_release'));
  const result = fields.get('outcome');
  const reason = fields.get('outcome_reason') ?? '';
  return {
    current: releaseName(fields.get('current')) ?? BASE_RELEASE,
    previous: releaseName(fields.get('previous')),
    phase: fields.get('phase') === 'trial' ? 'trial' : 'confirmed',
    attempts: count(fields.get('attempts')),
    starts: count(fields.get('starts')),
    outcome:
      (result === 'confirmed' || result === 'reverted') && outcomeRelease !== null
        ? {
            result,
            release: outcomeRelease,
            reason: REASONS.has(reason) ? (reason as RevertReason) : null,
            at: count(fields.get('outcome_at')),
          }
        : null,
  };
}

export function formatReleaseState(state: ReleaseState): string {
  const lines = [
    '# written by select-release.sh and by the agent (release-store.ts)',
    `current=${state.current}`,
    `previous=${state.previous ?? ''}`,
    `phase=${state.phase}`,
    `attempts=${state.attempts}`,
    `starts=${state.starts}`,
    `outcome=${state.outcome?.result ?? ''}`,
    `outcome_release=${state.outcome?.release ?? ''}`,
    `outcome_reason=${state.outcome?.reason ?? ''}`,
    `outcome_at=${state.outcome?.at ?? ''}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The state after a revert of the current release (what the start step does on its own). */
export function revertedState(state: ReleaseState, reason: RevertReason, atSec: number): ReleaseState {
  return {
    current: state.previous ?? BASE_RELEASE,
    previous: null,
    phase: 'confirmed',
    attempts: 0,
    starts: 0,
    outcome: { result: 'reverted', release: state.current, reason, at: atSec },
  };
}

export interface ReleaseStore {
  readonly root: string;
  entryOf(ref: ReleaseRef): string;
  /** Copies a verified bundle into a new release dir with links to the native modules; returns its ref. */
  write(options: {
    version: number;
    digest: string;
    bundlePath: string;
    manifestCbor: Uint8Array;
    nativeModules: Readonly<Record<string, string>>;
  }): Promise<ReleaseRef>;
  /** True when the release's entry file is on disk with the bytes its digest names. */
  isIntact(ref: ReleaseRef): Promise<boolean>;
  /** Version and digest of a release directory (from its SHA256SUMS); null for base or a missing dir. */
  refOf(dir: string): Promise<ReleaseRef | null>;
  readState(): Promise<ReleaseState>;
  writeState(state: ReleaseState): Promise<void>;
  /** Makes `ref` current, on trial, with the current one as the release to revert to. */
  stage(ref: ReleaseRef): Promise<void>;
  /** Deletes release dirs the state does not name (and crash leftovers). */
  gc(): Promise<string[]>;
}

export function createReleaseStore(options: { stateDir: string }): ReleaseStore {
  const root = join(options.stateDir, 'releases');
  const statePath = join(root, 'state');

  const store: ReleaseStore = {
    root,
    entryOf: (ref) => join(root, ref.dir, RELEASE_ENTRY),
    async write({ version, digest, bundlePath, manifestCbor, nativeModules }) {
      await mkdir(root, { recursive: true });
      const ref: ReleaseRef = { version, digest, dir: `v${version}-${digest.slice(0, 12)}` };
      if (await store.isIntact(ref)) return ref;
      const tmp = join(root, `.tmp-${randomBytes(6).toString('hex')}`);
      await mkdir(join(tmp, 'node_modules'), { recursive: true });
      await copyFile(bundlePath, join(tmp, RELEASE_ENTRY));
      await fsyncFile(join(tmp, RELEASE_ENTRY));
      // sha256sum's format: what the start step checks before every start.
      await writeFile(join(tmp, SUMS_FILE), `${digest}  ${RELEASE_ENTRY}\n`);
      await fsyncFile(join(tmp, SUMS_FILE));
      await writeFileAtomic(join(tmp, MANIFEST_FILE), manifestCbor);
      // ESM resolves bare specifiers from the importing file's directory: the bundle finds the native
      // modules (not bundled) through these links to the base install's copies.
      for (const [name, target] of Object.entries(nativeModules))
        await symlink(target, join(tmp, 'node_modules', name));
      await fsyncDir(join(tmp, 'node_modules'));
      await fsyncDir(tmp);
      await rm(join(root, ref.dir), { recursive: true, force: true });
      await rename(tmp, join(root, ref.dir));
      await fsyncDir(root);
      return ref;
    },
    async isIntact(ref) {
      const entry = store.entryOf(ref);
      const isFile = await stat(entry).then(
        (s) => s.isFile(),
        () => false,
      );
      return isFile && (await sha256File(entry)) === ref.digest;
    },
    async refOf(dir) {
      const match = RELEASE_DIR.exec(dir);
      if (match === null) return null;
      const sums = await readFile(join(root, dir, SUMS_FILE), 'utf8').catch(() => '');
      const digest = /^([0-9a-f]{64}) {2}agent\.mjs$/m.exec(sums)?.[1];
      return digest === undefined ? null : { version: Number(match[1]), digest, dir };
    },
    async readState() {
      const text = await readFile(statePath, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
      return text === null ? BASE_STATE : parseReleaseState(text);
    },
    writeState: (state) => writeFileAtomic(statePath, formatReleaseState(state)),
    async stage(ref) {
      const state = await store.readState();
      await store.writeState({
        current: ref.dir,
        // A confirmed release becomes the one to revert to; base is what an empty `previous` means.
        previous: state.phase === 'trial' ? state.previous : state.current === BASE_RELEASE ? null : state.current,
        phase: 'trial',
        attempts: 0,
        starts: 0,
        outcome: state.outcome,
      });
    },
    async gc() {
      const state = await store.readState().catch(() => BASE_STATE);
      const keep = new Set([state.current, state.previous, state.outcome?.release]);
      const removed: string[] = [];
      for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
        if (!entry.isDirectory() || keep.has(entry.name)) continue;
        await rm(join(root, entry.name), { recursive: true, force: true });
        removed.push(entry.name);
      }
      return removed;
    },
  };
  return store;
}
