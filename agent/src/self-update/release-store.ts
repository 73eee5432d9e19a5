/**
 * Agent releases on disk, shared by the agent (which writes releases and stages one) and the
 * launcher (which alone switches the pointer). Layout under `${stateDir}/releases/`:
 * `v<version>-<digest12>/{agent.mjs, manifest.cbor, node_modules/<native> → the base install's}` built in a
 * `.tmp-*` dir and renamed into place like model slots; `staged.json` (written by the agent: "restart into
 * this one"); `pointer.json` (written by the launcher only: current, previous = last known-good, phase
 * `trial | confirmed`, trial attempts, and the last outcome the agent has to report). One writer per file,
 * each written by tmp → fsync → rename → fsync(dir), so a power cut at any moment leaves whole files.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fsyncDir, fsyncFile, readJsonFile, writeFileAtomic } from '../storage/atomic-file.js';
import { sha256File } from '../storage/file-sha256.js';

export const RELEASE_ENTRY = 'agent.mjs';
const MANIFEST_FILE = 'manifest.cbor';

export const releaseRefSchema = z.object({
  version: z.int().min(1),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  dir: z.string().regex(/^v\d+-[0-9a-f]{12}$/),
});
export type ReleaseRef = z.infer<typeof releaseRefSchema>;

export const releaseOutcomeSchema = z.object({
  version: z.int().min(1),
  digest: z.string(),
  result: z.enum(['confirmed', 'reverted']),
  reason: z.string().max(1024).nullable(),
  at: z.int().nonnegative(),
});
export type ReleaseOutcome = z.infer<typeof releaseOutcomeSchema>;

/** `current: null` is the base agent the service was installed with — always there as the last resort. */
export const releasePointerSchema = z.object({
  current: releaseRefSchema.nullable(),
  previous: releaseRefSchema.nullable(),
  phase: z.enum(['trial', 'confirmed']),
  trialAttempts: z.int().min(0),
  lastOutcome: releaseOutcomeSchema.nullable(),
});
export type ReleasePointer = z.infer<typeof releasePointerSchema>;

export const BASE_POINTER: ReleasePointer = Object.freeze({
  current: null,
  previous: null,
  phase: 'confirmed',
  trialAttempts: 0,
  lastOutcome: null,
});

export function sameRelease(a: ReleaseRef | null | undefined, b: ReleaseRef | null | undefined): boolean {
  return (a ?? null) === null ? (b ?? null) === null : a?.dir === b?.dir && a?.digest === b?.digest;
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
  readPointer(): Promise<ReleasePointer>;
  writePointer(pointer: ReleasePointer): Promise<void>;
  readStaged(): Promise<ReleaseRef | null>;
  stage(ref: ReleaseRef): Promise<void>;
  clearStaged(): Promise<void>;
  /** Deletes release dirs no pointer field and no staged file names (and crash leftovers). */
  gc(): Promise<string[]>;
}

export function createReleaseStore(options: { stateDir: string }): ReleaseStore {
  const root = join(options.stateDir, 'releases');
  const pointerPath = join(root, 'pointer.json');
  const stagedPath = join(root, 'staged.json');

  async function readStaged(): Promise<ReleaseRef | null> {
    const raw = await readJsonFile(stagedPath).catch(() => undefined);
    const parsed = releaseRefSchema.safeParse(raw);
    return parsed.success ? parsed.data : null;
  }

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
      if (
        !(await stat(entry).then(
          (s) => s.isFile(),
          () => false,
        ))
      )
        return false;
      return (await sha256File(entry)) === ref.digest;
    },
    async readPointer() {
      const raw = await readJsonFile(pointerPath);
      return raw === undefined ? BASE_POINTER : releasePointerSchema.parse(raw);
    },
    writePointer: (pointer) =>
      writeFileAtomic(pointerPath, JSON.stringify(releasePointerSchema.parse(pointer), null, 2)),
    readStaged,
    stage: (ref) => writeFileAtomic(stagedPath, JSON.stringify(ref)),
    async clearStaged() {
      await rm(stagedPath, { force: true });
    },
    async gc() {
      const pointer = await store.readPointer().catch(() => BASE_POINTER);
      const keep = new Set([pointer.current?.dir, pointer.previous?.dir, (await readStaged())?.dir]);
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
