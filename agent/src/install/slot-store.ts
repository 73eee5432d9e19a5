/**
 * Model slots on disk (DESIGN.md §4 Install): `slots/<line>/v<version>-<digest12>/{model.onnx,
 * manifest.cbor}` built in a `.tmp-*` directory and renamed into place, and `slots/<line>/current.json`
 * `{ version, digest, dir, previous }` switched by write-tmp → fsync → rename → fsync(dir). The pointer is
 * only ever switched to a complete, fsynced slot, so after a kill -9 at any moment it names a verified slot
 * (or does not exist). A shadow challenger's slot is named by `shadow.json` `{ version, digest,
 * dir }`, written the same way, so a restart brings the shadow back. Leftover temp dirs from a crash are
 * never read and are removed by `gc`. A slot's `manifest.cbor` is replaced (atomically) only by the same
 * manifest re-signed after a targets-key rotation, so the boot loader keeps verifying it with the new root.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  type Durability,
  fsyncDir,
  fsyncFile,
  readJsonFile,
  writeFileAtomic,
  writeFileDurable,
} from '../storage/atomic-file.js';

const slotRefSchema = z.object({
  version: z.int().min(1),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  dir: z.string().regex(/^v\d+-[0-9a-f]{12}$/),
});
const pointerSchema = slotRefSchema.extend({ previous: slotRefSchema.nullable() });

export type SlotRef = z.infer<typeof slotRefSchema>;
export type SlotPointer = z.infer<typeof pointerSchema>;

export const MODEL_FILE = 'model.onnx';
export const MANIFEST_FILE = 'manifest.cbor';

export interface SlotStore {
  /** Copies the verified bundle and the signed manifest into a new slot; returns its ref. */
  writeSlot(options: {
    line: string;
    version: number;
    digest: string;
    bundlePath: string;
    manifestCbor: Uint8Array;
  }): Promise<SlotRef>;
  /**
   * Replaces the slot's manifest with `manifestCbor` when the bytes differ (the caller verified it and
   * checked it names the slot's version and digest); resolves to whether it wrote.
   */
  refreshManifest(line: string, slot: SlotRef, manifestCbor: Uint8Array): Promise<boolean>;
  current(line: string): Promise<SlotPointer | undefined>;
  /** Atomically points `line` at `slot`; the old current becomes `previous`. */
  switchTo(line: string, slot: SlotRef): Promise<SlotPointer>;
  removeSlot(line: string, dir: string): Promise<void>;
  /** The slot of the line's shadow challenger, if any. */
  shadow(line: string): Promise<SlotRef | undefined>;
  /** Atomically names (or, with null, forgets) the line's shadow slot. */
  setShadow(line: string, slot: SlotRef | null): Promise<void>;
  /** Deletes every slot directory of `line` except current, previous and shadow (and every temp dir). */
  gc(line: string): Promise<string[]>;
  lines(): Promise<string[]>;
  pathOf(line: string, dir: string, file: typeof MODEL_FILE | typeof MANIFEST_FILE): string;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export function createSlotStore(options: { root: string; durability?: Durability }): SlotStore {
  const durability = options.durability ?? 'fsync';
  const lineDir = (line: string) => join(options.root, line);
  const pointerPath = (line: string) => join(lineDir(line), 'current.json');
  const shadowPath = (line: string) => join(lineDir(line), 'shadow.json');

  async function current(line: string): Promise<SlotPointer | undefined> {
    const raw = await readJsonFile(pointerPath(line));
    if (raw === undefined) return undefined;
    return pointerSchema.parse(raw);
  }

  async function shadow(line: string): Promise<SlotRef | undefined> {
    const raw = await readJsonFile(shadowPath(line));
    return raw === undefined ? undefined : slotRefSchema.parse(raw);
  }

  async function refreshManifest(line: string, slot: SlotRef, manifestCbor: Uint8Array): Promise<boolean> {
    const path = join(lineDir(line), slot.dir, MANIFEST_FILE);
    const stored = await readFile(path).catch(() => undefined);
    if (stored?.equals(manifestCbor) === true) return false;
    await writeFileAtomic(path, manifestCbor, { durability });
    return true;
  }

  return {
    async writeSlot({ line, version, digest, bundlePath, manifestCbor }) {
      const base = lineDir(line);
      await mkdir(base, { recursive: true });
      const ref: SlotRef = { version, digest, dir: `v${version}-${digest.slice(0, 12)}` };
      const finalDir = join(base, ref.dir);
      const pointer = await current(line);
      // Same version and digest = same verified bytes: a slot in use keeps its model and takes the manifest
      // as signed now (it may have been re-signed after a key rotation).
      if (pointer?.dir === ref.dir || pointer?.previous?.dir === ref.dir) {
        await refreshManifest(line, ref, manifestCbor);
        return ref;
      }
      const tmp = join(base, `.tmp-${randomBytes(6).toString('hex')}`);
      await mkdir(tmp);
      await copyFile(bundlePath, join(tmp, MODEL_FILE));
      await fsyncFile(join(tmp, MODEL_FILE), durability);
      // Inside the temp dir, which becomes the slot by one rename: the manifest needs no rename of its own.
      await writeFileDurable(join(tmp, MANIFEST_FILE), manifestCbor, { durability });
      await fsyncDir(tmp, durability);
      // A slot dir left by a crash before its pointer switch is stale but not referenced: replace it.
      if (await exists(finalDir)) await rm(finalDir, { recursive: true, force: true });
      await rename(tmp, finalDir);
      await fsyncDir(base, durability);
      return ref;
    },
    refreshManifest,
    current,
    async switchTo(line, slot) {
      const old = await current(line);
      const previous = old === undefined || old.dir === slot.dir ? (old?.previous ?? null) : oldRef(old);
      const next: SlotPointer = { ...slot, previous };
      await writeFileAtomic(pointerPath(line), JSON.stringify(next, null, 2), { durability });
      return next;
    },
    async removeSlot(line, dir) {
      await rm(join(lineDir(line), dir), { recursive: true, force: true });
    },
    shadow,
    async setShadow(line, slot) {
      if (slot !== null) return writeFileAtomic(shadowPath(line), JSON.stringify(slot, null, 2), { durability });
      await rm(shadowPath(line), { force: true });
      await fsyncDir(lineDir(line), durability);
    },
    async gc(line) {
      const pointer = await current(line);
      const keep = new Set([pointer?.dir, pointer?.previous?.dir, (await shadow(line).catch(() => undefined))?.dir]);
      const removed: string[] = [];
      const entries = await readdir(lineDir(line), { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        if (!entry.isDirectory() || keep.has(entry.name)) continue;
        await rm(join(lineDir(line), entry.name), { recursive: true, force: true });
        removed.push(entry.name);
      }
      return removed;
    },
    async lines() {
      const entries = await readdir(options.root, { withFileTypes: true }).catch(() => []);
      const lines: string[] = [];
      for (const entry of entries) {
        if (entry.isDirectory() && (await exists(pointerPath(entry.name)))) lines.push(entry.name);
      }
      return lines.sort();
    },
    pathOf: (line, dir, file) => join(lineDir(line), dir, file),
  };
}

function oldRef(pointer: SlotPointer): SlotRef {
  return { version: pointer.version, digest: pointer.digest, dir: pointer.dir };
}
