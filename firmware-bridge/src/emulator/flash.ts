/**
 * The emulated MCU's flash (DESIGN.md §6): two image slots (A/B, each half the flash) and one staging
 * transfer. It outlives reboots — that is what makes a transfer resumable: the staging area records how many
 * bytes were written and verified, and a new offer of the same image (same CRC-32 and size) resumes there.
 * A new image is staged into the slot used least recently by inference, so the image the gateway runs stays
 * intact while its successor arrives (the A/B scheme of MCU bootloaders such as MCUboot).
 */
import { crc32 } from 'node:zlib';

export interface FlashImage {
  readonly crc: number;
  readonly bytes: Uint8Array;
  lastUsed: number;
}

export interface StagedImage {
  readonly crc: number;
  readonly size: number;
  readonly slot: 0 | 1;
  readonly bytes: Uint8Array;
  have: number;
}

export interface EmulatedFlash {
  readonly sizeBytes: number;
  readonly slots: [FlashImage | null, FlashImage | null];
  staging: StagedImage | null;
}

export function createFlash(sizeBytes: number): EmulatedFlash {
  return { sizeBytes, slots: [null, null], staging: null };
}

export function slotBytes(flash: EmulatedFlash): number {
  return Math.floor(flash.sizeBytes / 2);
}

export function findImage(flash: EmulatedFlash, crc: number): FlashImage | undefined {
  return flash.slots.find((image): image is FlashImage => image?.crc === crc);
}

/** Starts staging `crc`/`size` (erasing the least recently used slot), or keeps the matching transfer. */
export function stage(flash: EmulatedFlash, crc: number, size: number): StagedImage {
  const current = flash.staging;
  if (current !== null && current.crc === crc && current.size === size) return current;
  const [a, b] = flash.slots;
  const slot: 0 | 1 = a === null ? 0 : b === null ? 1 : a.lastUsed <= b.lastUsed ? 0 : 1;
  flash.slots[slot] = null;
  flash.staging = { crc, size, slot, bytes: new Uint8Array(size), have: 0 };
  return flash.staging;
}

/** Writes a chunk at the staged offset and reads it back (a failed read-back leaves `have` unchanged). */
export function writeChunk(staged: StagedImage, data: Uint8Array, chunkCrc: number): boolean {
  staged.bytes.set(data, staged.have);
  const readBack = staged.bytes.subarray(staged.have, staged.have + data.length);
  if (crc32(readBack) !== chunkCrc) return false;
  staged.have += data.length;
  return true;
}

/** Moves a complete staged image into its slot when its CRC-32 matches; false (and erased) otherwise. */
export function commit(flash: EmulatedFlash, staged: StagedImage, nowTick: number): boolean {
  flash.staging = null;
  if (crc32(staged.bytes) !== staged.crc) return false;
  flash.slots[staged.slot] = { crc: staged.crc, bytes: staged.bytes, lastUsed: nowTick };
  return true;
}
